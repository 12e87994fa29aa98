import { pitrBackup } from '../index.js';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { CliError, EXIT } from './usage-errors.js';
import { paint } from '../render/output.js';

const HELP = `pgharden pitr backup — a pgBackRest backup of this cluster, recorded

Usage: pgharden pitr backup [--type full|diff|incr] [--metrics FILE] [--lock-dir DIR] [--stanza NAME [--config FILE]]
                            [--dsn URL | --cluster V/N] [--json]

--stanza NAME [--config FILE]  the pgBackRest set-up, when archive_command does not name it as
              pgbackrest [--config FILE] --stanza NAME archive-push %p (a wrapper script, say);
              without --config, pgBackRest's defaults. Read only: its configuration is not changed.


Runs pgbackrest backup (as the server's OS user) for the stanza and configuration file that the
server's archive_command names (written by pgharden pitr enable), then reads pgbackrest info
--output=json: the backup's label, type, start and stop LSN and time are printed and, with
--metrics, written to the Prometheus textfile the nightly pgharden backup writes (its lines are
kept): pgharden_pitr_backup_last_success_timestamp_seconds, _last_run_success, _duration_seconds,
_start_timestamp_seconds, _stop_timestamp_seconds, and _info{label,type,lsn_start,lsn_stop}.
--lock-dir takes the nightly job's lock (give its --out DIR), so a dump run and this backup never
overlap. Retention is pgBackRest's own repo1-retention-full (pitr enable --retention-full): it
expires older backups and their WAL at the end of each backup. A diff or incr with no full
backup before it is made full by pgBackRest; the printed type says which it was.

Exit codes: 0 backed up; 1 pgBackRest reported success but listed no new backup; 2 usage error, or
archiving is not pgharden's; 3 another run holds the lock; 4 pgBackRest failed (its exit and its
last stderr lines are printed).

Examples:
  sudo pgharden pitr backup --type full
  # cron: full on Sunday, diff on the other nights, beside the nightly dumps
  30 1 * * 0   root pgharden pitr backup --type full --metrics /var/lib/node_exporter/pgharden.prom --lock-dir /var/backups/pg
  30 1 * * 1-6 root pgharden pitr backup --type diff --metrics /var/lib/node_exporter/pgharden.prom --lock-dir /var/backups/pg
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      {
        type: { type: 'string' },
        metrics: { type: 'string' },
        'lock-dir': { type: 'string' },
        stanza: { type: 'string' },
        config: { type: 'string' },
        ...CONNECTION_FLAGS,
        json: { type: 'boolean' },
      },
      'pitr backup',
    );
    const type = values.type ?? 'full';
    if (positionals.length || (type !== 'full' && type !== 'diff' && type !== 'incr'))
      throw new CliError(
        positionals.length
          ? 'pitr backup takes no positional arguments'
          : `--type takes full, diff or incr, not "${type}"`,
        EXIT.usage,
        'pgharden pitr backup --help',
      );
    const say = values.json ? (t: string) => o.err(t) : (t: string) => o.out(t);
    // A failed pgbackrest is a ToolError (exit 4, its stderr tail and pgBackRest's next step).
    const r = await pitrBackup({
      connection: connectionFrom(values),
      type,
      ...(values.metrics ? { metrics: values.metrics } : {}),
      ...(values['lock-dir'] ? { lockDir: values['lock-dir'] } : {}),
      ...(values.stanza !== undefined
        ? { target: { stanza: values.stanza, ...(values.config !== undefined ? { config: values.config } : {}) } }
        : values.config !== undefined
          ? { target: { config: values.config } }
          : {}),
      log: say,
    });
    const b = r.backup;
    if (values.json) {
      o.out(
        JSON.stringify(
          { schemaVersion: 1, stanza: r.target.stanza, configFile: r.target.configFile, seconds: r.seconds, backup: b },
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    say(
      `${b.type} backup ${b.label}: ${b.start.toISOString()} (LSN ${b.lsnStart ?? '?'}) → ${b.stop.toISOString()} (LSN ${b.lsnStop ?? '?'}), WAL ${b.walStart} … ${b.walStop}`,
    );
    say(paint(o, 'green', `Backed up in ${r.seconds.toFixed(1)} s (stanza ${r.target.stanza}).`));
    return EXIT.ok;
  },
};
