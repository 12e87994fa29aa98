/**
 * Every command pgharden runs (consumer reload and health commands, psql for a .pgpass login,
 * pg_dump/pg_dumpall/pg_restore, the --copy-to command, initdb and pg_ctl) goes through `run`,
 * built on execa (quick probes and exit hooks through `runSync`, in run-sync.ts): a timeout that
 * ends the command's whole process group (SIGTERM, then SIGKILL), output kept up to a bound, the
 * group ended when pgharden is interrupted, another uid/gid (the server's OS user), a given
 * environment, directory and stdin, and one error, `CommandError`, naming the command, how it
 * ended and the tail of its stderr. The peer relay's long-lived byte copier under a socket, not a
 * command that runs and ends, starts through `startPiped` (piped.ts).
 */
import type { Readable } from 'node:stream';
import type { execa as Execa } from 'execa';
import { commandError } from './command-error.js';
import { KILL_GRACE_MS, endGroup, interruption, trackGroup } from './groups.js';

export { CommandError } from './command-error.js';

/** Output kept per stream unless a caller says otherwise. */
export const DEFAULT_MAX_OUTPUT = 1 << 20;

/** How a command runs. */
export interface RunOptions {
  /** Ends the command and every process it started after this long. */
  timeoutMs: number;
  /** Run as this OS user (pgharden as root: the server's or a file owner's uid and gid). */
  uid?: number | undefined;
  gid?: number | undefined;
  /** The whole environment of the command (default: pgharden's own). */
  env?: NodeJS.ProcessEnv | undefined;
  cwd?: string | undefined;
  /** Its stdin (default: /dev/null, so nothing ever waits on a terminal). */
  input?: string | Buffer | Readable | undefined;
  /** Bytes of stdout and of stderr kept; a command writing more is ended (default 1 MiB). */
  maxOutput?: number | undefined;
  /** Streams stdout to this function instead of keeping it (a dump to a file). */
  onStdout?: ((chunk: Buffer) => void) | undefined;
  /** The command as errors name it (default: program and arguments); never put a secret in it. */
  shown?: string | undefined;
}

/** What a command that exited 0 wrote. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/** execa with the options of `run`: a group of its own, bounded buffers, a result rather than a throw. */
function spawn(execa: typeof Execa, file: string, args: string[], o: RunOptions) {
  return execa(file, args, {
    ...(o.input === undefined ? { stdin: 'ignore' as const } : { input: o.input }),
    ...(o.env === undefined ? {} : { env: o.env, extendEnv: false }),
    ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
    ...(o.uid === undefined ? {} : { uid: o.uid, gid: o.gid ?? o.uid }),
    buffer: { stdout: o.onStdout === undefined, stderr: true },
    maxBuffer: o.maxOutput ?? DEFAULT_MAX_OUTPUT,
    timeout: o.timeoutMs,
    forceKillAfterDelay: KILL_GRACE_MS,
    // A group of its own, so the timeout and an interrupt reach the command's children too;
    // execa's own `cleanup` does not apply to it, groups.ts does that job.
    detached: true,
    stripFinalNewline: false,
    reject: false,
  });
}

/** Runs `file` with `args` (no shell); resolves when it exits 0, rejects with a CommandError otherwise. */
export async function run(file: string, args: string[], o: RunOptions): Promise<RunResult> {
  // Loaded on first use: execa costs more start-up time than a command that spawns nothing should pay.
  const { execa } = await import('execa');
  const group = trackGroup();
  let sub: ReturnType<typeof spawn>;
  try {
    sub = spawn(execa, file, args, o);
  } catch (err) {
    group.ended();
    throw err;
  }
  let timedOut = false;
  let overflow = false;
  let timer: NodeJS.Timeout | undefined;
  if (sub.pid !== undefined) {
    const pgid = sub.pid;
    group.started(pgid);
    timer = setTimeout(() => {
      timedOut = true;
      endGroup(pgid);
    }, o.timeoutMs);
    if (o.onStdout) sub.stdout?.on('data', o.onStdout);
    // execa stops reading past maxBuffer but waits for the command to exit: end it, children included.
    const bound = o.maxOutput ?? DEFAULT_MAX_OUTPUT;
    const seen = { stdout: 0, stderr: 0 };
    for (const name of o.onStdout ? (['stderr'] as const) : (['stdout', 'stderr'] as const)) {
      sub[name]?.on('data', (d: Buffer) => {
        seen[name] += d.length;
        if (seen[name] > bound && !overflow) {
          overflow = true;
          endGroup(pgid);
        }
      });
    }
  }
  const r = await sub;
  clearTimeout(timer);
  // Interrupted: no error races pgharden's own end (it dies of the signal once its commands are gone).
  const interrupted = interruption();
  if (interrupted) await interrupted;
  group.ended();
  if (!r.failed) return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  const seen = { timedOut, overflow, interrupted: interrupted !== undefined };
  throw commandError(o.shown ?? [file, ...args].join(' '), o.timeoutMs, r, seen);
}
