import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { pitrDrill, type PitrDrillResult } from '../index.js';
import { EXIT, usageError } from './usage-errors.js';
import { paint, table, type Output } from '../render/output.js';

const HELP = `pgharden pitr drill — prove point-in-time recovery by doing it

Usage: pgharden pitr drill [--latest | --to TIME] [--metrics FILE] [--scratch-dir DIR] [--stanza NAME [--config FILE]] [--json]

--stanza NAME [--config FILE]  the pgBackRest set-up, when archive_command does not name it as
              pgbackrest [--config FILE] --stanza NAME archive-push %p (a wrapper script, say);
              without --config, pgBackRest's defaults. Read only: its configuration is not changed.

                           [--dsn URL | --cluster VERSION/NAME]

Restores the newest pgBackRest backup before the target into a scratch directory (under
--scratch-dir, default the system's temp directory), starts it as the server's OS user on a
socket in that directory only (listen_addresses='', archive_mode=off: it never pushes WAL into the
repository), waits until recovery reaches the target and promotes, and counts every table of
every database there. The scratch server and directory are removed in every case (also on Ctrl-C;
a drill killed outright leaves them to the next drill).

--to takes any time PostgreSQL reads as timestamptz; one without a zone is UTC.
--latest (the default) marks a restore point itself, holding off writes for a moment (SHARE
locks, never waiting) so that the live counts taken at that point must come back exactly; any
difference fails the drill. --to TIME recovers to that time and shows the recovered counts beside
the live ones, for recovering from an accident (differences are expected; they are not a failure).
Either way a recovery that brings back no table or no row, while the live server has some, fails.

Reports the RTO (restore + replay until promotion, wall time) and the RPO bound when the drill
began (time since the oldest write not yet archived: since the last archived segment when WAL
was written after it, else 0) against its target, archive_timeout (pitr enable --rpo SECONDS);
--metrics writes them to a Prometheus textfile (pgharden_pitr_rto_seconds, _rpo_seconds,
_rpo_target_seconds, _drill_last_success_timestamp_seconds, _drill_last_run_success), each
sample labelled cluster (15/main, or pg15-5432) and stanza, beside pgharden backup's metrics. The drill history
is kept beside the stanza's pgBackRest configuration; a runbook written with
"pgharden runbook --out FILE" is written again after each drill.

Exit codes: 0 passed; 1 the drill failed (a missing WAL segment is named); 2 usage or input
error; 3 refused (archiving not set up by pgharden, not a superuser, not on the server's machine).

Examples:
  sudo pgharden pitr drill --latest --metrics /var/lib/node_exporter/pgharden.prom
  sudo pgharden pitr drill --to "2026-11-30 10:14:00+00"       # what was there before the DELETE
  # weekly, from cron: 30 4 * * 0 root pgharden pitr drill --latest --metrics /var/lib/node_exporter/pgharden.prom
`;

function show(o: Output, r: PitrDrillResult): void {
  const rows = [['database', 'table', 'live', 'recovered']];
  for (const d of r.databases)
    for (const t of d.rows) rows.push([d.database, t.table, String(t.live ?? '-'), String(t.restored ?? '-')]);
  if (rows.length > 1) o.out(table(rows));
  for (const n of r.notes) o.out(`note: ${n}`);
  o.out(
    `backup ${r.backup?.label ?? 'none'}; target ${r.target || 'none'}; RTO ${r.rtoSeconds === null ? 'not measured' : `${r.rtoSeconds.toFixed(1)} s (restore ${r.restoreSeconds?.toFixed(1)} s)`}; RPO ${r.rpoSeconds === null ? 'unknown' : `${r.rpoSeconds.toFixed(1)} s`}${r.lockMs === null ? '' : `; writes held off ${r.lockMs} ms`}${r.runbook ? `; runbook ${r.runbook}` : ''}`,
  );
}

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      {
        latest: { type: 'boolean' },
        to: { type: 'string' },
        metrics: { type: 'string' },
        'scratch-dir': { type: 'string' },
        stanza: { type: 'string' },
        config: { type: 'string' },
        ...CONNECTION_FLAGS,
        json: { type: 'boolean' },
      },
      'pitr drill',
    );
    if (positionals.length) throw usageError(`unexpected argument "${positionals[0]}"`, 'pitr drill');
    if (values.latest && values.to !== undefined)
      throw usageError('give --latest or --to TIME, not both', 'pitr drill');
    const say = values.json ? (t: string) => o.err(t) : (t: string) => o.out(t);
    const r = await pitrDrill({
      connection: connectionFrom(values),
      ...(values.to !== undefined ? { to: values.to } : {}),
      ...(values.metrics ? { metrics: values.metrics } : {}),
      ...(values['scratch-dir'] ? { scratchParent: values['scratch-dir'] } : {}),
      ...(values.stanza !== undefined
        ? { target: { stanza: values.stanza, ...(values.config !== undefined ? { config: values.config } : {}) } }
        : values.config !== undefined
          ? { target: { config: values.config } }
          : {}),
      log: say,
    });
    if (values.json) o.out(JSON.stringify({ schemaVersion: 1, ...r }, null, 2));
    else show(o, r);
    if (!r.ok) {
      for (const p of r.problems) o.err(`${paint(o, 'red', 'failed:')} ${p}`);
      return EXIT.findings;
    }
    if (!values.json)
      say(
        paint(
          o,
          'green',
          r.mode === 'latest'
            ? 'Drill passed: every table came back with exactly the rows it had at the restore point.'
            : 'Drill done: the recovered counts are beside the live ones above.',
        ),
      );
    return EXIT.ok;
  },
};
