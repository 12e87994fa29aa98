import { usageError } from './errors.js';
import type { Command } from './command.js';

const SUBCOMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  enable: () => import('./pitr-enable.js'),
  backup: () => import('./pitr-backup.js'),
};

export const command: Command = {
  subcommands: SUBCOMMANDS,
  help: `pgharden pitr — point-in-time recovery with pgBackRest, set up by a reviewed plan and proven

Usage:
  pgharden pitr enable --repo DIR [--retention-full N] [--restart] [--yes] [--out plans/NAME] [--dsn URL]
  pgharden pitr backup [--type full|diff|incr] [--metrics FILE] [--lock-dir DIR] [--dsn URL] [--json]

Run "pgharden pitr enable --help" (or backup) for details and examples.
`,
  async run(argv, out) {
    const [sub, ...rest] = argv;
    const load = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!load)
      throw usageError(
        sub
          ? `unknown pitr command "${sub}" (expected ${Object.keys(SUBCOMMANDS).join(' or ')})`
          : 'pitr needs a command: enable or backup',
        'pitr',
      );
    const { command: inner } = await load();
    return inner.run(rest, out);
  },
};
