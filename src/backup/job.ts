/**
 * `pgharden backup`'s core: the nightly job a small team needs. One run: lock (two runs never
 * overlap) → dumps of the chosen databases and the globals into OUT/<UTC time>/ → the restore
 * drill when asked → manifest.json → the off-box copy of each file → retention → the metrics
 * file. Any failure fails the run (and the exit code); the metrics say so.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { configFor, ensureReachable, peerIdentity, resolveTarget, type ConnectOptions } from '../connect/connect.js';
import { databaseSessions } from '../cluster/sessions.js';
import { writeFileAtomic } from '../core/atomic.js';
import { acquirePlanLock } from '../core/lock.js';
import { run } from '../process/run.js';
import { dropLeftDrills, fileLedger } from './drill-ledger.js';
import type { SqlSessions, ToolRunner } from './dump.js';
import { writeMetrics } from './backup-metrics.js';
import { CLUSTER_LABEL_SQL, clusterLabelOf } from '../cluster/cluster-label.js';
import { prune, runName } from './retention.js';
import { findClientTools } from '../cluster/client-tools.js';
import { verifiedBackup, type VerifiedBackup } from './verified.js';

export interface BackupJobOptions {
  connection: ConnectOptions;
  out: string;
  databases?: string[];
  verify: boolean;
  keepDays?: number;
  keepWeekly?: number;
  /** argv run once per file; `{}` stands for the file (appended when absent). */
  copyTo?: string[];
  metrics?: string;
  now: Date;
  log: (line: string) => void;
}

export interface BackupJobResult {
  dir: string;
  ok: boolean;
  backup?: VerifiedBackup;
  copied: string[];
  removed: string[];
  problems: string[];
}

/** One session per database, from the job's connection settings (every other parameter kept). */
function sessions(base: pg.ClientConfig): SqlSessions & { end(): Promise<void> } {
  return databaseSessions((db) => ({ ...base, database: db, application_name: 'pgharden backup' }));
}

export async function backupJob(o: BackupJobOptions): Promise<BackupJobResult> {
  const made = mkdirSync(o.out, { recursive: true, mode: 0o700 });
  try {
    await ensureReachable(o.connection);
  } catch (err) {
    // Nothing half-made: the directories this run created go again (still empty).
    if (made) rmSync(made, { recursive: true, force: true });
    throw err;
  }
  const lock = acquirePlanLock(o.out);
  const dir = join(o.out, runName(o.now));
  const result: BackupJobResult = { dir, ok: false, copied: [], removed: [], problems: [] };
  const target = resolveTarget(o.connection);
  // As root over the socket, pg_dump runs with the server's uid too, the way the SQL sessions connect.
  const relay = peerIdentity(target);
  const config = configFor(target, relay);
  const s = sessions(config);
  // The scratch databases of this --out's runs: kept beside the runs, removed when none is left.
  const ledger = fileLedger(join(o.out, 'drills'));
  const started = Date.now();
  let cluster = '';
  try {
    // The shared label query: config_file through pg_settings, so a non-superuser's backup does not fail on it.
    const [v] = await s.query<{ num: string; config_file: string | null; port: string }>(CLUSTER_LABEL_SQL);
    cluster = clusterLabelOf(v!);
    const left = await dropLeftDrills(s, ledger);
    if (left.length) o.log(`Dropped ${left.join(', ')}, left by a run that was killed during its restore drill`);
    const tools = findClientTools(Math.floor(Number(v!.num) / 10000));
    const databases =
      o.databases ??
      (
        await s.query<{ d: string }>(
          'SELECT datname AS d FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1',
        )
      ).map((r) => r.d);
    const runner: ToolRunner = {
      args: (db) => [
        '-h',
        String(config.host),
        '-p',
        String(config.port),
        '-U',
        String(config.user),
        ...(db === null ? [] : ['-d', db]),
      ],
      ...(relay ? { uid: relay.uid, gid: relay.gid } : {}),
      env: { ...process.env, ...(typeof config.password === 'string' ? { PGPASSWORD: config.password } : {}) },
    };
    o.log(`Backing up ${databases.join(', ')} with pg_dump ${tools.major} into ${dir}`);
    result.backup = await verifiedBackup({ tools, sessions: s, runner, databases, dir, verify: o.verify, ledger });
    for (const d of result.backup.databases) if (d.drill && !d.drill.ok) result.problems.push(...d.drill.problems);
    const files = [
      result.backup.globals.file,
      ...result.backup.databases.map((d) => d.file),
      join(dir, 'manifest.json'),
    ];
    writeFileAtomic(
      files.at(-1)!,
      `${JSON.stringify({ schemaVersion: 1, at: o.now.toISOString(), verified: o.verify, ...result.backup, ok: result.problems.length === 0 }, null, 2)}\n`,
      { mode: 0o600 },
    );
    if (o.copyTo?.length) {
      for (const f of files) {
        const argv = o.copyTo.some((a) => a.includes('{}'))
          ? o.copyTo.map((a) => a.replaceAll('{}', f))
          : [...o.copyTo, f];
        try {
          await run(argv[0]!, argv.slice(1), { timeoutMs: 600_000 });
          result.copied.push(f);
        } catch (err) {
          result.problems.push(`copy of ${f} failed: ${(err as Error).message}`);
        }
      }
    }
    if (result.problems.length === 0)
      result.removed = prune(o.out, o.now, {
        ...(o.keepDays === undefined ? {} : { keepDays: o.keepDays }),
        ...(o.keepWeekly === undefined ? {} : { keepWeekly: o.keepWeekly }),
      });
  } catch (err) {
    result.problems.push((err as Error).message);
  } finally {
    await s.end();
    ledger.close();
    lock.release();
    result.ok = result.problems.length === 0;
    const rowsVerified =
      o.verify && result.backup
        ? result.backup.databases.reduce(
            (n, d) => n + (d.drill?.rows.reduce((m, r) => m + (r.restored ?? 0), 0) ?? 0),
            0,
          )
        : 0;
    if (o.metrics)
      writeMetrics(o.metrics, {
        ok: result.ok,
        at: new Date(),
        rowsVerified,
        seconds: (Date.now() - started) / 1000,
        verified: o.verify,
        scope: { cluster, stanza: '' },
      });
  }
  return result;
}
