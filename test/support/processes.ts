/** Watching processes from a test: running or not, the pids a shell wrote, and waiting for a state. */
import { readFileSync } from 'node:fs';

/** Running, not a zombie (an orphan killed by a signal may stay one until init reaps it). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The whitespace-separated pids a shell wrote into `file`. */
export const pids = (file: string): number[] => readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);

/** Polls `what` every 25 ms until it holds or `ms` have passed; its last answer. */
export async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25)))
    if (what()) return true;
  return what();
}
