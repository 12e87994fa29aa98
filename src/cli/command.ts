import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../index.js';
import { usageError } from './usage-errors.js';
import type { Output } from '../render/output.js';

/** A CLI verb: a thin layer that maps flags to a core function and its result to output. */
export interface Command {
  /** Full `--help` text, with real examples. */
  help: string;
  /** Runs the command; returns the exit code. Throws CliError for what the user can fix. */
  run(argv: string[], out: Output): Promise<number>;
  /** Sub-commands by name, for verbs like `inspect hba`. */
  subcommands?: Record<string, () => Promise<{ command: Command }>>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What parseFlags returns for these options (named, so the declarations can say it). */
export type ParsedFlags<O extends Options> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: O & { 'no-color': { type: 'boolean' } };
    allowPositionals: true;
    strict: true;
  }>
>;

/** parseArgs with strict checking, turning its errors into usage errors for `command`. */
export function parseFlags<O extends Options>(argv: string[], options: O, command: string): ParsedFlags<O> {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, 'no-color': { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw usageError(flagProblem(err as Error & { code?: string }, Object.keys(options)), command);
  }
}

/** parseArgs' complaint in pgharden's words: the option named, and the one probably meant. */
function flagProblem(err: Error & { code?: string }, known: string[]): string {
  const unknown = /^Unknown option '(-{1,2})([^']*)'/.exec(err.message);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const meant = closest(unknown[2]!, known);
    return `unknown option "${unknown[1]}${unknown[2]}"${meant ? `; did you mean --${meant}?` : ''}`;
  }
  const missing = /^Option '(--[\w-]+)[^']*' argument missing/.exec(err.message);
  if (missing) return `${missing[1]} needs a value`;
  const extra = /^Option '(--[\w-]+)' does not take an argument/.exec(err.message);
  if (extra) return `${extra[1]} takes no value`;
  return err.message;
}

/** The connection flags every command that reaches a server takes. */
export const CONNECTION_FLAGS = { dsn: { type: 'string' }, cluster: { type: 'string' } } as const;

/** The connection the flags ask for (libpq's environment fills in the rest). */
export function connectionFrom(
  values: { dsn?: string | undefined; cluster?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): {
  dsn?: string;
  cluster?: string;
} {
  // PGHARDEN_DSN is --dsn given by environment, so that a password in it is not in the process's
  // argv (/proc/PID/cmdline, which every user can read); the flags win over it.
  const dsn = values.dsn ?? (values.cluster === undefined && env.PGHARDEN_DSN ? env.PGHARDEN_DSN : undefined);
  return {
    ...(dsn !== undefined ? { dsn } : {}),
    ...(values.cluster !== undefined ? { cluster: values.cluster } : {}),
  };
}

/** The `run` of a verb made of sub-commands (`inspect hba`, `pitr enable`): loads the one named and runs it. */
export function runSubcommand(
  verb: string,
  subcommands: Record<string, () => Promise<{ command: Command }>>,
  noun = 'command',
): Command['run'] {
  return async (argv, out) => {
    const [sub, ...rest] = argv;
    const load = sub === undefined ? undefined : subcommands[sub];
    const names = Object.keys(subcommands);
    const list = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
    if (!load)
      throw usageError(
        sub ? `unknown ${verb} ${noun} "${sub}" (expected ${list})` : `${verb} needs a ${noun}: ${list}`,
        verb,
      );
    return (await load()).command.run(rest, out);
  };
}
