/**
 * One error hierarchy, with the CLI's exit code on the class (the README's exit codes):
 * - InputError (2): usage or input — bad flags, a missing or unreadable file, a spec problem, a
 *   connection that cannot be made;
 * - (1, findings or a failed verification, is a result that commands return, never an error);
 * - RefusedError (3): refused for safety — drift, a lock held, a tampered plan or journal;
 * - ToolError (4): a tool pgharden ran (pgbackrest, pg_dump, pg_ctl…) failed; its name, how it
 *   ended and the tail of its stderr are the message (process/command-error.ts's CommandError);
 * - anything else escaping a command is a bug: the CLI prints one line and writes the details to
 *   a file (exit 70).
 * Every pgharden error may carry `next`: the command or action that moves the user on.
 */

/** The exit codes of the CLI contract. */
export const EXIT = {
  ok: 0,
  /** Findings at or above --fail-on, error lines in an inspected file, or a failed verification. */
  findings: 1,
  /** Usage or input error: bad flags, a missing or unreadable file, an unknown role. */
  usage: 2,
  /** Refused for safety: drift, lock held, validation failed. */
  refused: 3,
  /** A tool pgharden ran (pgbackrest, pg_dump, pg_ctl…) failed: its name, exit and stderr tail are said. */
  tool: 4,
  /** A bug in pgharden (EX_SOFTWARE): one line on stderr, the details in a file. */
  internal: 70,
  /** Stopped by the operator (Ctrl-C at a question), after saying what was and was not changed: 128 + SIGINT. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The base of every error a user can act on. */
export abstract class PghardenError extends Error {
  abstract readonly exitCode: ExitCode;
  /** What to do next, when there is one thing to say. */
  next?: string;

  constructor(message: string, next?: string) {
    super(message);
    this.name = new.target.name;
    if (next !== undefined) this.next = next;
  }
}

/** Usage or input the user can fix (exit 2). */
export class InputError extends PghardenError {
  readonly exitCode: ExitCode = EXIT.usage;
}

/** Refused for safety (exit 3). */
export class RefusedError extends PghardenError {
  readonly exitCode: ExitCode = EXIT.refused;
}

/** A tool pgharden ran failed (exit 4): the message names it, how it ended and what it said. */
export class ToolError extends PghardenError {
  readonly exitCode: ExitCode = EXIT.tool;
}

/** What PostgreSQL said, with its SQLSTATE, DETAIL, HINT and the statement position. */
export interface ServerFacts {
  severity?: string;
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
}

/** PostgreSQL's words: `ERROR 42501: permission denied …`, then DETAIL and HINT lines. */
export function serverMessage(err: unknown): string {
  const e = err as ServerFacts & { message?: string };
  const sqlstate = e.code && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  const parts = [sqlstate ? `${e.severity ?? 'ERROR'} ${sqlstate}: ${e.message}` : (e.message ?? String(err))];
  if (e.detail) parts.push(`DETAIL: ${e.detail}`);
  if (e.hint) parts.push(`HINT: ${e.hint}`);
  if (e.position) parts.push(`(at character ${e.position} of the statement)`);
  return parts.join('\n');
}

/** An error the server raised, kept with everything it said (exit 2: the input met the server's refusal). */
export class ServerError extends InputError {
  readonly sqlstate: string | null;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: string;

  constructor(err: unknown, context?: string, next?: string) {
    super(context ? `${context}: ${serverMessage(err)}` : serverMessage(err), next);
    const e = err as ServerFacts;
    this.sqlstate = e.code && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : null;
    if (e.detail) this.detail = e.detail;
    if (e.hint) this.hint = e.hint;
    if (e.position) this.position = e.position;
  }
}

/** True for an error node-postgres built from the server's ErrorResponse. */
export const isServerError = (err: unknown): boolean => {
  const e = err as ServerFacts;
  return typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
};
