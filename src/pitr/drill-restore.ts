/**
 * The drill's restore: `pgbackrest restore` of one backup set into the scratch directory with the
 * recovery target, the scratch server started on it, the wait until recovery reaches the target
 * and promotes, and the counts of every table there. The clock for the RTO runs from the restore's
 * start to the promotion. The scratch directory and server are gone when this returns or throws.
 *
 * A missing WAL segment ends recovery early: PostgreSQL stops with "recovery ended before
 * configured recovery target was reached", and its log lists each segment restored from the
 * archive, so the one after the last restored (or the backup's first, when none was) is the
 * segment the repository does not have.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { DrillLedger } from '../backup/drill-ledger.js';
import type { TableCount } from '../backup/dump.js';
import { PITR_COUNTS_SQL } from './drill-mark.js';
import { nextSegment, type LiveFacts } from './drill-live.js';
import { PGBACKREST_TIMEOUT_MS } from './drill-pgbackrest.js';
import { pgbackrest, type BackupInfo } from './pgbackrest.js';
import { makeScratch } from './drill-scratch.js';
import { ticking } from '../core/progress.js';

export interface RestoreRequest {
  facts: LiveFacts;
  pgCtl: string;
  set: BackupInfo;
  ledger: DrillLedger;
  parent: string;
  port: number;
  type: 'name' | 'time';
  target: string;
  databases: readonly string[];
  timeoutMs: number;
  /** Hears each phase (restore, replay, counts) as it starts and how long it has run. */
  log?: (line: string) => void;
}

export interface RestoreOutcome {
  rtoSeconds: number | null;
  /** The part of the RTO `pgbackrest restore` took (the rest is start, replay and promotion). */
  restoreSeconds: number | null;
  /** Counts per database of the recovered copy (a database missing there is absent). */
  counts: Map<string, TableCount[]>;
  /** Why the restore or the recovery failed, in words that name the cause. */
  problem: string | null;
}

/** PostgreSQL's words when the WAL it needed was not there (to reach the target, or to be consistent at all). */
const WAL_RAN_OUT =
  /recovery ended before configured recovery target was reached|could not locate required checkpoint record|WAL ends before (end of online backup|consistent recovery point)/;

/** What the scratch server's log says went wrong, naming the missing WAL segment when that is it. */
export function recoveryFailure(log: string, r: Pick<RestoreRequest, 'set' | 'target' | 'facts'>): string {
  const restored = [...log.matchAll(/restored log file "([0-9A-F]{24})" from archive/g)].map((m) => m[1]!).sort();
  const last = restored.at(-1);
  const missing = last ? nextSegment(last, r.facts.walSegmentSize) : r.set.walStart;
  const fatal = /(?:FATAL|PANIC):\s+(.*)/.exec(log)?.[1] ?? 'the scratch server stopped';
  if (WAL_RAN_OUT.test(log))
    return `recovery stopped before reaching ${r.target}: WAL segment ${missing} is missing from the repository (${fatal})`;
  return `the recovered copy did not start: ${fatal}`;
}

export async function restoreAndCount(r: RestoreRequest): Promise<RestoreOutcome> {
  const { facts } = r;
  const phase = <T>(label: string, work: () => Promise<T>) => (r.log ? ticking(r.log, label, work) : work());
  const scratch = makeScratch(r.parent, r.pgCtl, facts.user, r.port, r.ledger);
  const counts = new Map<string, TableCount[]>();
  let log = '';
  try {
    const started = Date.now();
    let restoreSeconds: number | null = null;
    try {
      await phase(`restore: pgbackrest restore of ${r.set.label} into ${scratch.dataDir}`, () =>
        pgbackrest(
          facts.archive,
          'restore',
          [
            `--pg1-path=${scratch.dataDir}`,
            `--set=${r.set.label}`,
            `--type=${r.type}`,
            `--target=${r.target}`,
            '--target-action=promote',
            // Never push WAL from the copy; tablespaces into the scratch directory, never their live paths.
            '--archive-mode=off',
            `--tablespace-map-all=${join(scratch.dir, 'tablespaces')}`,
          ],
          { as: facts.user, timeoutMs: PGBACKREST_TIMEOUT_MS },
        ),
      );
      restoreSeconds = (Date.now() - started) / 1000;
      await phase(`replay: starting the restored copy and replaying WAL to ${r.target}`, async () => {
        await scratch.start(facts.recoverySettings);
        await scratch.promoted(facts.role, r.timeoutMs);
      });
    } catch (err) {
      log = existsSync(scratch.logFile) ? readFileSync(scratch.logFile, 'utf8') : '';
      return {
        rtoSeconds: null,
        restoreSeconds,
        counts,
        problem: log ? recoveryFailure(log, r) : `the restore failed: ${(err as Error).message}`,
      };
    }
    const rtoSeconds = (Date.now() - started) / 1000;
    r.log?.(
      `counts: counting the rows of ${r.databases.length} database${r.databases.length === 1 ? '' : 's'} in the recovered copy`,
    );
    for (const db of r.databases) {
      const c = new pg.Client(scratch.client(db, facts.role));
      try {
        await c.connect();
      } catch {
        continue; // 3D000: not in the recovered copy
      }
      try {
        const rows = (await c.query<{ table: string; rows: string }>(PITR_COUNTS_SQL)).rows;
        counts.set(
          db,
          rows.map((x) => ({ table: x.table, rows: Number(x.rows) })),
        );
      } finally {
        await c.end().catch(() => undefined);
      }
    }
    return { rtoSeconds, restoreSeconds, counts, problem: null };
  } finally {
    scratch.remove();
  }
}
