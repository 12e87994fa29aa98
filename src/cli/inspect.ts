import { runSubcommand, type Command } from './command.js';

const SUBCOMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  hba: () => import('./inspect-hba.js'),
  conf: () => import('./inspect-conf.js'),
  who: () => import('./inspect-who.js'),
};

export const command: Command = {
  subcommands: SUBCOMMANDS,
  help: `pgharden inspect — read PostgreSQL's configuration exactly as the server does

Usage:
  pgharden inspect hba  [FILE] [--json] [--pg-version N] [--ssl on|off] [--dsn URL]
  pgharden inspect conf [FILE] [--json] [--dsn URL]
  pgharden inspect who  --user U --db D --from ADDR|local [--ssl] [FILE] [--json] [--dsn URL]

Run "pgharden inspect hba --help" (or conf, who) for details and examples.
`,
  run: runSubcommand('inspect', SUBCOMMANDS, 'target'),
};
