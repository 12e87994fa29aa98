/** Exit codes of the CLI contract (DESIGN.md). */
export const EXIT = {
  ok: 0,
  /** Findings at or above --fail-on, error lines in an inspected file, or a failed verification. */
  findings: 1,
  /** Usage or input error: bad flags, a missing or unreadable file, an unknown role. */
  usage: 2,
  /** Refused for safety: drift, lock held, validation failed. */
  refused: 3,
  /** A bug in pgharden (EX_SOFTWARE): one line on stderr, the details in a file. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An error the user can fix; carries the exit code and, where there is one, the next command
 * to run. Everything else that escapes a command is a bug and is reported as such.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
    readonly next?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A flag or argument the command cannot use. */
export function usageError(message: string, command: string): CliError {
  return new CliError(message, EXIT.usage, `pgharden ${command} --help`);
}
