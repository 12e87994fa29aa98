import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { backup, drillTable } from '../index.js';
import { CliError, EXIT } from './usage-errors.js';
import { paint, table } from '../render/output.js';

const HELP = `pgharden backup — the nightly verified backup

Usage: pgharden backup --out DIR [--databases a,b] [--verify] [--keep-days N] [--keep-weekly N]
                       [--copy-to "ARGV with {}"] [--metrics FILE] [--dsn URL | --cluster VERSION/NAME] [--json]

Each run writes DIR/<UTC time>/ (0700): globals.sql (pg_dumpall --globals-only), one
pg_dump -Fc per database (default: every database that allows connections), manifest.json
(sha256 of each file, the exact row count of every table as of the dump's snapshot). With
--verify, each dump is restored into <db>__pgharden_drill, every table's rows are compared with
the live count from the same snapshot, and the scratch database is dropped: the comparison table
is printed and kept in the manifest. --copy-to runs once per file (no shell; {} is the file, else
it is appended), e.g. --copy-to "rsync -a {} backup@nas:/srv/pg/"; its failure fails the run.
Retention (after a successful run only): runs younger than --keep-days days, and the newest run
of each of the last --keep-weekly ISO weeks; nothing else in DIR is touched. --metrics writes a
Prometheus textfile (pgharden_backup_last_success_timestamp_seconds, _last_run_success,
_rows_verified, _duration_seconds). A lock in DIR refuses an overlapping run (exit 3).
Needs pg_dump/pg_restore of the server's major or newer; says which package when missing.

Exit codes: 0 the run succeeded (and verified, with --verify); 1 any failure (dump, restore,
mismatch, copy); 2 usage or connection error; 3 another run holds the lock.

Examples:
  # cron (/etc/cron.d/pgharden-backup): every night at 03:15, as the server's OS user
  15 3 * * * postgres pgharden backup --out /var/backups/pg --verify --keep-days 7 --keep-weekly 5 --metrics /var/lib/node_exporter/pgharden.prom
  # systemd: pgharden-backup.service (Type=oneshot, User=postgres,
  #   ExecStart=/usr/bin/pgharden backup --out /var/backups/pg --verify --keep-days 7)
  # with pgharden-backup.timer: [Timer] OnCalendar=*-*-* 03:15  Persistent=true
  # macOS LaunchAgent: ProgramArguments pgharden backup --out ~/pg-backups --verify --keep-days 14,
  #   StartCalendarInterval Hour 3 Minute 15
  pgharden backup --out /var/backups/pg --verify --copy-to "scp {} backup@nas:/srv/pg/"
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      {
        out: { type: 'string' },
        databases: { type: 'string' },
        verify: { type: 'boolean' },
        'keep-days': { type: 'string' },
        'keep-weekly': { type: 'string' },
        'copy-to': { type: 'string' },
        metrics: { type: 'string' },
        ...CONNECTION_FLAGS,
        json: { type: 'boolean' },
      },
      'backup',
    );
    if (!values.out || positionals.length)
      throw new CliError('backup needs --out DIR and no positional arguments', EXIT.usage, 'pgharden backup --help');
    const count = (name: 'keep-days' | 'keep-weekly') => {
      const v = values[name];
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v))
        throw new CliError(`--${name} takes a whole number, not "${v}"`, EXIT.usage, 'pgharden backup --help');
      return Number(v);
    };
    const keepDays = count('keep-days');
    const keepWeekly = count('keep-weekly');
    const say = values.json ? (t: string) => o.err(t) : (t: string) => o.out(t);
    const r = await backup({
      connection: connectionFrom(values),
      out: values.out!,
      ...(values.databases
        ? {
            databases: values.databases
              .split(',')
              .map((d) => d.trim())
              .filter(Boolean),
          }
        : {}),
      verify: Boolean(values.verify),
      ...(keepDays === undefined ? {} : { keepDays }),
      ...(keepWeekly === undefined ? {} : { keepWeekly }),
      ...(values['copy-to'] ? { copyTo: values['copy-to'].split(/\s+/).filter(Boolean) } : {}),
      ...(values.metrics ? { metrics: values.metrics } : {}),
      now: new Date(),
      log: say,
    });
    if (values.json) {
      o.out(
        JSON.stringify(
          {
            schemaVersion: 1,
            ok: r.ok,
            dir: r.dir,
            problems: r.problems,
            copied: r.copied,
            removed: r.removed,
            backup: r.backup ?? null,
          },
          null,
          2,
        ),
      );
      return r.ok ? EXIT.ok : EXIT.findings;
    }
    if (r.backup) {
      if (values.verify) say(table(await drillTable(r.backup)));
      say(
        `dump ${r.backup.ms.dump} ms${values.verify ? `, drill ${r.backup.ms.drill} ms` : ''}; files in ${r.dir}${r.copied.length ? `; ${r.copied.length} copied` : ''}${r.removed.length ? `; removed by retention: ${r.removed.join(', ')}` : ''}`,
      );
    }
    if (!r.ok) {
      for (const p of r.problems) o.err(`${paint(o, 'red', 'failed:')} ${p}`);
      return EXIT.findings;
    }
    say(
      paint(
        o,
        'green',
        values.verify
          ? 'Backup done and verified: every table restored with the same row count.'
          : 'Backup done (not verified: add --verify for the restore drill).',
      ),
    );
    return EXIT.ok;
  },
};
