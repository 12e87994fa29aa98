/**
 * Signalling the postmaster without a login, safely: the pid in `postmaster.pid` is trusted only
 * after it is proven to be this data directory's postmaster. After a crash the file can name a pid
 * the kernel has since given to an unrelated process, which a SIGHUP would kill.
 */
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { reloadAdvice } from '../plan/store.js';
import { RefusedError } from '../core/errors.js';
import { runSync } from '../process/run-sync.js';

/** The pid that postmaster.pid names, and why it is not this data directory's postmaster (null: it is). */
export interface PostmasterProof {
  pid: number | null;
  refusal: string | null;
}

/** Kernel clock ticks per second (/proc/PID/stat counts in them). */
function clockTicks(): number {
  try {
    return Number(runSync('getconf', ['CLK_TCK'], { timeoutMs: 10_000 }).stdout.trim()) || 100;
  } catch {
    return 100;
  }
}

/** When the process started, in epoch seconds: boot time plus field 22 of /proc/PID/stat. */
function startedAt(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (the command name, in parentheses) may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[22 - 3]);
  const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  return boot + ticks / clockTicks();
}

/** Checks executable, data directory (the postmaster's cwd) and start time against postmaster.pid. */
export function provePostmaster(dataDirectory: string): PostmasterProof {
  const file = join(dataDirectory, 'postmaster.pid');
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').split('\n');
  } catch (err) {
    return {
      pid: null,
      refusal: `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): is the server running?`,
    };
  }
  const pid = Number(lines[0]);
  // postmaster.pid line 3 is the postmaster's start time, in epoch seconds.
  const start = Number(lines[2]);
  if (!Number.isInteger(pid) || pid <= 1 || !Number.isFinite(start))
    return { pid: null, refusal: `${file} does not hold a pid and a start time` };
  try {
    const exe = basename(readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ''));
    if (exe !== 'postgres' && exe !== 'postmaster') return { pid, refusal: `pid ${pid} runs ${exe}, not postgres` };
    const cwd = realpathSync(`/proc/${pid}/cwd`);
    if (cwd !== realpathSync(dataDirectory))
      return { pid, refusal: `pid ${pid} is the postgres of ${cwd}, not of ${dataDirectory}` };
    const began = startedAt(pid);
    if (Math.abs(began - start) > 2)
      return {
        pid,
        refusal: `pid ${pid} started at ${new Date(began * 1000).toISOString()}, not when postmaster.pid says (${new Date(start * 1000).toISOString()})`,
      };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      pid,
      refusal:
        code === 'ENOENT'
          ? `no process has pid ${pid}`
          : `pid ${pid} cannot be inspected (${code ?? (err as Error).message})`,
    };
  }
  return { pid, refusal: null };
}

/** A reload that was not signalled, and why. */
export class NotPostmasterError extends RefusedError {
  constructor(
    readonly dataDirectory: string,
    why: string,
  ) {
    super(
      `Did not signal the pid in ${join(dataDirectory, 'postmaster.pid')}: ${why}. Reload the server with: ${reloadAdvice(dataDirectory)}`,
    );
  }
}

/** SIGHUP to this data directory's postmaster, once proven; returns its pid. */
export function signalReload(dataDirectory: string): number {
  const proof = provePostmaster(dataDirectory);
  if (proof.refusal !== null || proof.pid === null)
    throw new NotPostmasterError(dataDirectory, proof.refusal ?? 'no pid');
  process.kill(proof.pid, 'SIGHUP');
  return proof.pid;
}
