import { atLeast, audit, SEVERITIES, type ConnectionMatrix, type Finding, type Severity } from '../index.js';
import { CONNECTION_FLAGS, verb } from './command.js';
import { EXIT, usageError } from './usage-errors.js';
import { paint, table, type Output } from '../render/output.js';

const HELP = `pgharden audit — every authentication risk on a live cluster, with its evidence and its fix

Usage: pgharden audit [--dsn URL | --cluster VERSION/NAME] [--pgdata DIR] [--json] [--fail-on low|medium|high|critical] [--limit N]
                      [--metrics FILE] [--max-backup-age DAYS] [--max-drill-age DAYS]
                      [--password-max-age DAYS] [--plans DIR]

Connects read-only (--dsn, else PGHOST/PGPORT/PGUSER/PGDATABASE/PGSERVICE), reads the server's
settings, roles, sessions and its on-disk pg_hba.conf and postgresql.conf exactly as the server
parses them, and reports each finding with file:line evidence, why it matters and the plan stage
that fixes it, then the connection matrix (source × login role → method). Run it on the
server's host, as its OS user, so it can read the files; what it cannot see is listed.

Recovery: WAL archiving off or failing (pg_stat_archiver, with pgBackRest's last archive-push
error), WAL waiting to be archived past the RPO target (archive-lag: twice archive_timeout, or an
hour without one), the newest backup older than --max-backup-age days (default 2; from pgbackrest
info when the archive_command names a pgBackRest stanza, else from the --metrics textfile of
pgharden backup) and the newest restore drill of this cluster older than --max-drill-age days
(default 31; from the stanza's drill history and this cluster's samples in --metrics). A
repository pgBackRest cannot read is listed with its cause, not judged as "no backup"; without
--metrics and pgBackRest, backup and drill ages are not judged (and listed).

Passwords: a login role whose password pgharden set (the plan's step, its journal's done time,
from the plans under --plans DIR, default ./plans) longer ago than --password-max-age days, else
than the newest plan's spec's passwordMaxAgeDays (password-age; unset: not judged). Rotate it with
pgharden plan --spec harden.yaml --rotate ROLE.

Consumers: the consumer files the plans under --plans DIR name, read as they are now: once the
server requires TLS (ssl on, a hostssl rule) or one of those plans asks for it, each connection
string without sslmode=verify-full (or channel_binding=require where scram-sha-256 is in use) is
reported with its file:line (tls-consumer-unverified).

--limit N shows at most N evidence lines per finding (default 10; 0 shows all) and says how
many more there are; --json always carries every one.
--json prints {"schemaVersion": 1, "server", "findings", "matrix", "limits"}.
Exit codes: 0 nothing at or above --fail-on (default: high); 1 findings at or above it;
2 usage or connection error.

Examples:
  sudo -u postgres pgharden audit
  pgharden audit --dsn postgres://postgres@localhost:5432/postgres --fail-on critical
  pgharden audit --json | jq '.findings[] | select(.severity == "critical") | .evidence'
`;

/** The first `limit` evidence lines (all when 0), then how many more there are. */
export function shownEvidence(evidence: readonly string[], limit: number): string[] {
  if (limit === 0 || evidence.length <= limit) return [...evidence];
  return [
    ...evidence.slice(0, limit),
    `… and ${evidence.length - limit} more (pgharden audit --limit 0, or --json, shows every one)`,
  ];
}

function renderFindings(findings: Finding[], o: Output, limit: number): string[] {
  const colour: Record<Severity, 'red' | 'yellow' | 'dim' | 'bold'> = {
    critical: 'red',
    high: 'red',
    medium: 'yellow',
    low: 'dim',
  };
  const lines: string[] = [];
  for (const sev of [...SEVERITIES].reverse()) {
    const group = findings.filter((f) => f.severity === sev);
    if (group.length === 0) continue;
    lines.push('', paint(o, 'bold', `${sev.toUpperCase()} (${group.length})`));
    for (const f of group) {
      lines.push(`  ${paint(o, colour[sev], `[${f.id}]`)} ${f.title}`);
      for (const e of shownEvidence(f.evidence, limit)) lines.push(`      ${e}`);
      lines.push(`      why: ${f.why}`, `      fix (${f.fix.stage}): ${f.fix.text}${f.cis ? `  [CIS ${f.cis}]` : ''}`);
    }
  }
  return lines;
}

function renderMatrix(m: ConnectionMatrix): string {
  return table([
    ['ROLE', ...m.sources.map((s) => s.label)],
    ...m.roles.map((r) => [r, ...m.sources.map((s) => m.cells[r]![s.label]!)]),
  ]);
}

/** --password-max-age: a whole number of days, at least 1. */
function passwordDays(v: string): number {
  if (!/^[1-9]\d*$/.test(v)) throw usageError(`--password-max-age takes a whole number of days, not "${v}"`, 'audit');
  return Number(v);
}

export const command = verb({
  name: 'audit',
  help: HELP,
  flags: {
    ...CONNECTION_FLAGS,
    pgdata: { type: 'string' },
    json: { type: 'boolean' },
    'fail-on': { type: 'string' },
    limit: { type: 'string' },
    metrics: { type: 'string' },
    'max-backup-age': { type: 'string' },
    'max-drill-age': { type: 'string' },
    'password-max-age': { type: 'string' },
    plans: { type: 'string' },
  },
  async run({ values, o, connection, json, usage }) {
    const failOn = (values['fail-on'] ?? 'high') as Severity;
    const limit = Number(values.limit ?? 10);
    if (!/^\d+$/.test(values.limit ?? '10'))
      throw usage(`--limit takes a whole number of evidence lines per finding (0: all), not "${values.limit}"`);
    if (!SEVERITIES.includes(failOn))
      throw usage(`--fail-on takes low, medium, high or critical, not "${values['fail-on']}"`);
    const days = (name: 'max-backup-age' | 'max-drill-age') => {
      const v = values[name];
      if (v === undefined) return {};
      if (!/^\d+(\.\d+)?$/.test(v)) throw usage(`--${name} takes a number of days, not "${v}"`);
      return { [name === 'max-backup-age' ? 'maxBackupAgeDays' : 'maxDrillAgeDays']: Number(v) };
    };
    const { snapshot, findings, matrix } = await audit({
      connection: connection(),
      ...(values.pgdata ? { dataDir: values.pgdata } : {}),
      recovery: {
        ...(values.metrics ? { metrics: values.metrics } : {}),
        ...days('max-backup-age'),
        ...days('max-drill-age'),
      },
      passwords: {
        ...(values.plans ? { plansDir: values.plans } : {}),
        ...(values['password-max-age'] !== undefined ? { maxAgeDays: passwordDays(values['password-max-age']) } : {}),
      },
    });
    if (values.json) {
      json({
        schemaVersion: 1,
        server: {
          version: snapshot.version,
          major: snapshot.major,
          systemIdentifier: snapshot.systemIdentifier,
          connectedAs: snapshot.connectedAs,
        },
        findings,
        matrix,
        limits: snapshot.limits,
      });
    } else {
      o.out(
        `PostgreSQL ${snapshot.major} (system ${snapshot.systemIdentifier ?? 'unknown'}), connected as "${snapshot.connectedAs}"`,
      );
      for (const l of snapshot.limits) o.out(`${paint(o, 'yellow', 'could not see:')} ${l}`);
      o.out(findings.length ? renderFindings(findings, o, limit).join('\n') : '\nNo findings.');
      o.out(
        `\nConnection matrix (database "${matrix.database}", without SSL; rules as on disk):\n${renderMatrix(matrix)}`,
      );
      const counts = SEVERITIES.map((s) => `${findings.filter((f) => f.severity === s).length} ${s}`)
        .reverse()
        .join(', ');
      o.out(`\n${findings.length} finding${findings.length === 1 ? '' : 's'}: ${counts}.`);
    }
    return findings.some((f) => atLeast(f.severity, failOn)) ? EXIT.findings : EXIT.ok;
  },
});
