import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { runbook } from '../index.js';
import { usageError, EXIT } from './usage-errors.js';

const HELP = `pgharden runbook — this cluster's disaster-recovery runbook, from live facts

Usage: pgharden runbook [--out FILE] [--backups DIR] [--plans DIR] [--stanza NAME [--config FILE]]
                        [--dsn URL | --cluster VERSION/NAME]

--stanza NAME [--config FILE]  the pgBackRest set-up, when archive_command does not name it as
              pgbackrest [--config FILE] --stanza NAME archive-push %p (a wrapper script, say);
              without --config, pgBackRest's defaults. Read only: its configuration is not changed.


Markdown: versions and paths (data directory, configuration files, Debian cluster), the
pgBackRest stanza and repository with its newest backup, the last verified dump (from
pgharden backup's --out DIR, given as --backups), the last point-in-time drill with its RTO and
RPO, and the exact commands for a lost server, a corrupted data directory, an accidental deletion
(recovery to just before it into a side directory, then the rows copied back) and a failed
hardening (the newest plan's rollback, from --plans, default plans/), and a checklist for after
recovery. Without --out it is printed. With --out (written 0600) the path is remembered, and each
"pgharden pitr drill" writes the runbook again.

Examples:
  sudo pgharden runbook --out /root/DR-RUNBOOK.md --backups /var/backups/pg
  sudo pgharden runbook | less
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      {
        out: { type: 'string' },
        backups: { type: 'string' },
        plans: { type: 'string' },
        stanza: { type: 'string' },
        config: { type: 'string' },
        ...CONNECTION_FLAGS,
      },
      'runbook',
    );
    if (positionals.length) throw usageError(`unexpected argument "${positionals[0]}"`, 'runbook');
    const r = await runbook({
      connection: connectionFrom(values),
      ...(values.out ? { out: values.out } : {}),
      ...(values.backups ? { backups: values.backups } : {}),
      ...(values.plans ? { plans: values.plans } : {}),
      ...(values.stanza !== undefined
        ? { target: { stanza: values.stanza, ...(values.config !== undefined ? { config: values.config } : {}) } }
        : values.config !== undefined
          ? { target: { config: values.config } }
          : {}),
    });
    if (r.out) o.out(`Runbook written to ${r.out}`);
    else o.out(r.markdown);
    return EXIT.ok;
  },
};
