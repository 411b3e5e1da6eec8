import { launchFirefox, startFormServer } from "/work/main/test/helpers/firefox.js";
import { startTestServer } from "/work/main/test/helpers/server.js";

const A = process.env.ASCII ? "hello world plain" : "héllo wörld ✓ 日本語 Ωmega — ça va? ß ñ ü → ∑ ¿qué?";
const runs = Number(process.argv[2] ?? 3);
let ok = 0;
for (let i = 0; i < runs; i++) {
  const t = await startTestServer({ geometry: { width: 1280, height: 720 } });
  const form = await startFormServer();
  const ep = t.desktop.x11Endpoint!;
  const ff = await launchFirefox(form.url, ep);
  const t0 = performance.now();
  const layout = await form.ready();
  const tReady = performance.now() - t0;
  const pace = Number(process.env.PACE ?? 0);
  const clickPace = Number(process.env.CLICK_PACE ?? 0);
  const act = async (a: any) => {
    await t.grpc.action({ action: a });
    const p = a.case.endsWith("lick") ? clickPace || pace : pace;
    if (p) await new Promise((r) => setTimeout(r, p));
  };
  const at = (r: any) => ({ x: r.x + 20, y: r.y + Math.round(r.height / 2) });
  await act({ case: "leftClick", value: { coordinate: at(layout.a) } });
  await act({ case: "type", value: { text: A } });
  await act({ case: "leftClick", value: { coordinate: at(layout.c) } });
  await act({ case: "type", value: { text: "junk" } });
  await act({ case: "key", value: { text: "ctrl+a" } });
  await act({ case: "key", value: { text: "BackSpace" } });
  await act({ case: "type", value: { text: process.env.ASCII ? "kept" : "kept ✓" } });
  await act({ case: "doubleClick", value: { coordinate: layout.words.beta } });
  await act({ case: "type", value: { text: process.env.ASCII ? "delta" : "délta" } });
  await act({ case: "key", value: { text: "Return" } });
  const got = await Promise.race([form.submitted(), new Promise((r) => setTimeout(() => r("timeout"), 10000))]);
  const want = process.env.ASCII ? { a: A, b: "alpha delta gamma", c: "kept" } : { a: A, b: "alpha délta gamma", c: "kept ✓" };
  const good = JSON.stringify(got) === JSON.stringify(want);
  if (good) ok++;
  console.log(`run ${i}: ready ${tReady.toFixed(0)} ms ${good ? "OK" : "BAD " + JSON.stringify(got)}`);
  if (!good)
    console.log(
      form.events
        .filter((e) => e.type !== "keydown")
        .map((e) => `${e.t} ${e.type} ${e.id} ${e.value ?? ""}`)
        .join("\n"),
    );
  await ff.close();
  await form.close();
  await t.close();
}
console.log(`${ok}/${runs}`);
process.exit(0);
