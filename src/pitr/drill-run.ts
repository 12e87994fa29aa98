/**
 * `pgharden pitr drill`: proves that the pgBackRest repository can bring this cluster back to a
 * point in time, by doing it. The newest backup before the target is restored into a scratch
 * directory (drill-scratch.ts), replayed from the archived WAL until the target and promoted, and
 * every table of every database is counted there and compared with the live server
 * (drill-compare.ts): exactly at a restore point the drill marks itself (`--latest`,
 * drill-mark.ts), or side by side for a chosen time (`--to`). The RTO (restore + replay until
 * promotion, wall time) and the RPO (age of the last archived WAL when the drill began) go to the
 * result, the metrics file and the drill ledger, which is also the history the runbook reads.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlSessions, TableCount } from '../backup/dump.js';
import { fileLedger, type DrillLedger } from '../backup/drill-ledger.js';
import { configFor, ensureReachable, peerIdentity, resolveTarget, type ConnectOptions } from '../connect/connect.js';
import { findInstall } from '../cluster/install.js';
import { databaseSessions } from '../cluster/sessions.js';
import { InputError, PghardenError, ServerError, ToolError } from '../core/errors.js';
import { acquirePlanLock } from '../core/lock.js';
import { freePort } from '../scratch/cluster.js';
import type { TargetOverride } from './archive-command.js';
import { compareDrill, type DatabaseCounts, type DatabaseRows } from './drill-compare.js';
import { liveFacts, targetTime, waitArchived, type LiveFacts } from './drill-live.js';
import { recordDrill } from './drill-record.js';
import { pathProblems, refuseInput } from './enable-paths.js';
import { countTables, markPoint } from './drill-mark.js';
import { backupSets, drillLedgerPath, drillStateDir, newestBefore } from './drill-pgbackrest.js';
import { restoreAndCount } from './drill-restore.js';
import { removeScratch } from './drill-scratch.js';

export interface PitrDrillOptions {
  connection: ConnectOptions;
  /** `--stanza`/`--config`: the pgBackRest set-up, when archive_command does not name it plainly. */
  target?: TargetOverride;
  /** A time as PostgreSQL's timestamptz reads it; absent: `--latest`. */
  to?: string;
  /** The Prometheus textfile to update (pgharden_pitr_*). */
  metrics?: string;
  /** Where the scratch directory is made (default: the system's temp directory). */
  scratchParent?: string;
  /** How long the restore and replay may take (default 6 hours). */
  timeoutMs?: number;
  log: (line: string) => void;
}

export interface PitrDrillResult {
  ok: boolean;
  mode: 'latest' | 'time';
  /** The restore point's name, or the target time (UTC). */
  target: string;
  backup: { label: string; stop: string } | null;
  rtoSeconds: number | null;
  /** The part of the RTO the file restore took; the rest is start, WAL replay and promotion. */
  restoreSeconds: number | null;
  /** The RPO bound when the drill began: seconds since the oldest write not yet archived (0: all archived). */
  rpoSeconds: number | null;
  /** The RPO target: archive_timeout (set by `pitr enable --rpo`); null when it is 0. */
  rpoTargetSeconds: number | null;
  /** `--latest`: how long writers were held off while the restore point was marked. */
  lockMs: number | null;
  databases: DatabaseRows[];
  problems: string[];
  notes: string[];
  /** The runbook regenerated after the drill, if one was recorded. */
  runbook: string | null;
}

/** How long the drill waits for its target's WAL segment to reach the repository. */
const ARCHIVE_WAIT_MS = 120_000;

const DATABASES_SQL = 'SELECT datname AS d FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1';

interface Steps {
  o: PitrDrillOptions;
  live: SqlSessions;
  counters: SqlSessions;
  facts: LiveFacts;
  pgCtl: string;
  ledger: DrillLedger;
  at: Date;
  result: PitrDrillResult;
}

/** Backup set, target, live counts, restore, comparison: each outcome lands in `result`. */
async function drillSteps({ o, live, counters, facts, pgCtl, ledger, at, result }: Steps): Promise<void> {
  for (const dir of ledger.pending()) {
    removeScratch(dir, pgCtl, facts.user);
    ledger.dropped(dir);
    o.log(`Removed ${dir}, left by a drill that was killed`);
  }
  const sets = await backupSets(facts.archive, facts.user);
  const set = newestBefore(sets, at);
  if (!set) {
    result.problems.push(
      sets.length
        ? `no backup in the repository finished before ${result.target || at.toISOString()} (the oldest finished at ${sets[0]!.stop.toISOString()})`
        : `the repository holds no backup of stanza ${facts.archive.stanza}: run pgharden pitr backup first`,
    );
    return;
  }
  result.backup = { label: set.label, stop: set.stop.toISOString() };
  const databases = (await live.query<{ d: string }>(DATABASES_SQL)).map((r) => r.d);
  let liveCounts: { database: string; counts: TableCount[] }[];
  if (o.to === undefined) {
    const point = await markPoint(live, counters, databases);
    result.target = point.name;
    result.lockMs = point.lockMs;
    liveCounts = point.counts;
    o.log(`Marked restore point ${point.name} at ${point.lsn} (writes held off ${point.lockMs} ms)`);
    await waitArchived(live, point.walFile, ARCHIVE_WAIT_MS);
  } else {
    liveCounts = [];
    for (const db of databases) liveCounts.push({ database: db, counts: await countTables(live, db) });
    // A commit after the target, so that recovery sees the target passed even on an idle server.
    const [w] = await live.query<{ f: string }>(
      'SELECT pg_walfile_name(pg_current_wal_lsn()) AS f FROM (SELECT txid_current()) x',
    );
    await waitArchived(live, w!.f, ARCHIVE_WAIT_MS);
  }
  o.log(`Restoring backup ${set.label} (finished ${set.stop.toISOString()}) and replaying to ${result.target}`);
  const restored = await restoreAndCount({
    facts,
    pgCtl,
    set,
    ledger,
    parent: o.scratchParent ?? tmpdir(),
    port: await freePort(),
    type: o.to === undefined ? 'name' : 'time',
    target: result.target,
    databases,
    timeoutMs: o.timeoutMs ?? 6 * 3600_000,
  });
  result.rtoSeconds = restored.rtoSeconds;
  result.restoreSeconds = restored.restoreSeconds;
  if (restored.problem) {
    result.problems.push(restored.problem);
    return;
  }
  const counts: DatabaseCounts[] = liveCounts.map((l) => ({
    database: l.database,
    live: l.counts,
    restored: restored.counts.get(l.database) ?? null,
  }));
  const c = compareDrill(counts, o.to === undefined);
  result.databases = c.databases;
  result.problems.push(...c.problems);
  result.notes.push(...c.notes);
}

/** The RPO bound against its target, as one line. */
export function rpoNote(bound: number | null, target: number | null): string {
  const b = bound === null ? 'not known (nothing archived yet)' : `${bound.toFixed(1)} s`;
  if (target === null)
    return `RPO bound ${b}; no target: archive_timeout is 0, so on a quiet server the unarchived segment can hold hours of writes (pgharden pitr enable --rpo SECONDS sets it)`;
  if (bound !== null && bound > target)
    return `RPO bound ${b} exceeds the target ${target} s (archive_timeout): WAL is not reaching the repository as often as asked`;
  return `RPO bound ${b}, within the target ${target} s (archive_timeout)`;
}

export async function pitrDrill(o: PitrDrillOptions): Promise<PitrDrillResult> {
  // The same check as every pitr path option, before connecting.
  if (o.scratchParent !== undefined)
    refuseInput(
      pathProblems('--scratch-dir', o.scratchParent),
      'pitr drill',
      'give --scratch-dir as a plain absolute directory, e.g. /var/tmp',
    );
  await ensureReachable(o.connection);
  const target = resolveTarget(o.connection);
  const config = configFor(target, peerIdentity(target));
  const session = (db: string) => ({ ...config, database: db, application_name: 'pgharden pitr drill' });
  const live = databaseSessions(session);
  const counters = databaseSessions(session);
  try {
    await live.query("SET TimeZone = 'UTC'");
    const facts = await liveFacts(live, o.target);
    const install = findInstall(facts.major);
    if (!install)
      throw new InputError(
        `No PostgreSQL ${facts.major} server binaries (pg_ctl) on this machine to run the scratch copy with`,
        `install the postgresql-${facts.major} package`,
      );
    const time = o.to === undefined ? null : await targetTime(live, o.to);
    const result: PitrDrillResult = {
      ok: false,
      mode: time ? 'time' : 'latest',
      target: time?.text ?? '',
      backup: null,
      rtoSeconds: null,
      restoreSeconds: null,
      rpoSeconds: facts.rpoBoundSeconds,
      rpoTargetSeconds: facts.rpoTargetSeconds,
      lockMs: null,
      databases: [],
      problems: [],
      notes: [],
      runbook: null,
    };
    result.notes.push(rpoNote(result.rpoSeconds, result.rpoTargetSeconds));
    const state = drillStateDir(facts.archive);
    mkdirSync(state, { recursive: true, mode: 0o700 });
    // One drill per stanza at a time: a second would take the first's scratch directory for a leftover.
    const lock = acquirePlanLock(state);
    if (lock.staleFrom) o.log(`Took over the drill lock of ${lock.staleFrom}, which is gone`);
    const ledger = fileLedger(drillLedgerPath(facts.archive), 'pitr');
    const pgCtl = join(install.bindir, 'pg_ctl');
    try {
      await drillSteps({ o, live, counters, facts, pgCtl, ledger, at: time?.at ?? facts.now, result });
    } catch (err) {
      // A refusal or an input error keeps its exit code; anything else the drill met (a tool that failed too) is its failure.
      if (err instanceof PghardenError && !(err instanceof ServerError) && !(err instanceof ToolError)) throw err;
      result.problems.push((err as Error).message);
    } finally {
      result.ok = result.problems.length === 0 && result.rtoSeconds !== null;
      try {
        await recordDrill(o, ledger, result, { cluster: facts.cluster, stanza: facts.archive.stanza });
      } finally {
        lock.release();
      }
    }
    return result;
  } finally {
    await live.end();
    await counters.end();
  }
}
