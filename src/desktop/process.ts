/** Process facts the backends and recordings need. */
import { readFileSync } from "node:fs";

/**
 * Whether `pid` runs. Desktop processes are often not our children, and a
 * zombie still answers kill(0) until its parent reaps it (not every PID 1
 * does), so /proc's state field decides: Z and X are dead.
 */
export const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
};
