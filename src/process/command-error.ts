/**
 * The one error a child process ends in: which command, how it ended (exit code, signal, timeout,
 * too much output), and the last lines it wrote to stderr, which is where PostgreSQL's tools and
 * most commands say why. A ToolError of the hierarchy (exit 4), never "a bug"; a caller that knows
 * the tool sets `next` to the step that fits what failed.
 */
import { ToolError } from '../core/errors.js';

/** How many stderr lines an error keeps: enough for a tool's reason, never a whole log. */
export const STDERR_TAIL_LINES = 20;

/** The last `n` non-empty lines of a command's stderr. */
export function tailOf(stderr: string, n = STDERR_TAIL_LINES): string {
  return stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-n)
    .join('\n');
}

/** How a command ended, when it did not end well. */
export interface CommandEnd {
  /** The command as shown to the operator (program and arguments; never a secret). */
  command: string;
  exitCode?: number | undefined;
  signal?: string | undefined;
  /** It ran past its timeout and was ended (with its whole process group). */
  timedOut?: boolean;
  timeoutMs?: number | undefined;
  /** It wrote more than its output bound and was ended. */
  outputOverflow?: boolean;
  /** It was ended because pgharden itself was interrupted. */
  interrupted?: boolean;
  /** It could not be started at all (ENOENT, EACCES…). */
  startError?: string | undefined;
  stderr?: string;
}

function howItEnded(e: CommandEnd): string {
  if (e.startError) return `could not be started (${e.startError})`;
  if (e.timedOut) return `timed out after ${(e.timeoutMs ?? 0) / 1000} s and was ended with its child processes`;
  if (e.outputOverflow) return 'wrote more output than pgharden keeps and was ended';
  if (e.interrupted) return 'was ended because pgharden was interrupted';
  if (e.signal) return `was killed by ${e.signal}`;
  return `failed (exit ${e.exitCode})`;
}

/** A command that could not start, failed, timed out or was ended; the message says which and why. */
export class CommandError extends ToolError {
  readonly command: string;
  /** The command's own exit code (pgharden's is `exitCode`, 4). */
  readonly status: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  /** The last lines of its stderr (at most STDERR_TAIL_LINES). */
  readonly stderrTail: string;

  constructor(e: CommandEnd) {
    const tail = tailOf(e.stderr ?? '');
    const said = tail === '' ? '' : tail.includes('\n') ? `:\n${tail.replace(/^/gm, '  ')}` : `: ${tail}`;
    const program = e.command.split(' ', 1)[0]!.split('/').at(-1);
    super(
      `${e.command} ${howItEnded(e)}${said}`,
      e.interrupted
        ? undefined
        : `fix what ${program} reports above${e.timedOut ? ' (or give it more time)' : ''}, then run the same pgharden command again`,
    );
    this.command = e.command;
    this.status = e.exitCode;
    this.signal = e.signal;
    this.timedOut = e.timedOut ?? false;
    this.stderrTail = tail;
  }
}

/** What execa reports of a failed command. */
export interface Failure {
  exitCode?: number | undefined;
  signal?: string | undefined;
  timedOut: boolean;
  isMaxBuffer: boolean;
  cause?: unknown;
  shortMessage?: string | undefined;
  stderr?: unknown;
}

/** What the caller of execa saw itself: its own timeout, output over the bound, an interrupt. */
export interface Seen {
  timedOut?: boolean;
  overflow?: boolean;
  interrupted?: boolean;
}

const startError = (r: Failure) => (r.cause as NodeJS.ErrnoException | undefined)?.code ?? r.shortMessage ?? 'unknown';

/** The error for a failed execa result. */
export function commandError(command: string, timeoutMs: number, r: Failure, seen: Seen = {}): CommandError {
  const overflow = r.isMaxBuffer || (seen.overflow ?? false);
  const timedOut = (r.timedOut || (seen.timedOut ?? false)) && !overflow;
  const started = r.exitCode !== undefined || r.signal !== undefined || timedOut || overflow;
  return new CommandError({
    command,
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut,
    timeoutMs,
    outputOverflow: overflow,
    interrupted: seen.interrupted ?? false,
    startError: started ? undefined : startError(r),
    stderr: String(r.stderr ?? ''),
  });
}
