/** Progress for long transfers (downloads, recordings) on stderr. */

/** A one-line bar on a terminal; a line per 10% otherwise. */
export function progressBar(out: NodeJS.WriteStream): (received: number, total: number | undefined) => void {
  let lastTenth = -1;
  return (received, total) => {
    const mib = (received / 2 ** 20).toFixed(1);
    if (!total) {
      if (out.isTTY) out.write(`\r${mib} MiB`);
      return;
    }
    const frac = Math.min(1, received / total);
    if (out.isTTY) {
      const width = 30;
      const done = Math.round(frac * width);
      out.write(`\r[${"#".repeat(done)}${" ".repeat(width - done)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mib} MiB`);
      if (frac === 1) out.write("\n");
    } else if (Math.floor(frac * 10) > lastTenth) {
      lastTenth = Math.floor(frac * 10);
      out.write(`${lastTenth * 10}% (${mib} MiB)\n`);
    }
  };
}
