import { EXIT, PghardenError, type ExitCode } from '../index.js';

export { EXIT, type ExitCode };

/** A flag or argument the CLI cannot use, or an outcome it reports with its own exit code. */
export class CliError extends PghardenError {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
    next?: string,
  ) {
    super(message, next);
  }
}

/** A flag or argument the command cannot use. */
export function usageError(message: string, command: string): CliError {
  return new CliError(message, EXIT.usage, `pgharden ${command} --help`);
}
