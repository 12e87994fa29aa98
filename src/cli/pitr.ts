import { runSubcommand, type Command } from './command.js';

const SUBCOMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  enable: () => import('./pitr-enable.js'),
  backup: () => import('./pitr-backup.js'),
  drill: () => import('./pitr-drill.js'),
};

export const command: Command = {
  subcommands: SUBCOMMANDS,
  help: `pgharden pitr — point-in-time recovery with pgBackRest, set up by a reviewed plan and proven

Usage:
  pgharden pitr enable --repo DIR [--retention-full N] [--restart] [--yes] [--out plans/NAME] [--dsn URL]
  pgharden pitr backup [--type full|diff|incr] [--metrics FILE] [--lock-dir DIR] [--dsn URL] [--json]
  pgharden pitr drill  [--latest | --to TIME] [--metrics FILE] [--json] [--dsn URL]

Run "pgharden pitr enable --help" (backup, drill) for details and examples.
`,
  run: runSubcommand('pitr', SUBCOMMANDS),
};
