/**
 * What rolling back `pitr enable` does beyond the plan's own undo (the configuration file,
 * postgresql.auto.conf, the restart): the story around the set-up is told to its end. The runbook
 * written for it is marked no longer valid, this cluster's samples in the metrics files `pitr
 * backup` and `pitr drill` wrote are removed, the drill history goes (unless kept on request), and
 * a repository the plan created goes while it holds no backup. Read before the rollback (the
 * history sits beside the configuration the rollback removes), finished after it.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileLedger, type LedgerLine } from '../backup/drill-ledger.js';
import { dropScope } from '../backup/backup-metrics.js';
import { clusterLabel } from '../cluster/cluster-label.js';
import { writeFileAtomic } from '../core/atomic.js';
import { openJournal } from '../execute/journal.js';
import { rollbackPlan, type RollbackOptions, type RollbackResult } from '../execute/rollback-plan.js';
import { loadPlan } from '../plan/store.js';
import type { Plan } from '../plan/plan-types.js';
import { drillLedgerPath, drillStateDir } from './drill-pgbackrest.js';

/** What the history said, read before the rollback. */
export interface PitrCleanup {
  plan: Plan;
  runbooks: string[];
  metrics: string[];
  stateDir: string;
  /** The journal says this plan's apply made the repository (its step done), before the rollback. */
  repoMadeHere: boolean;
}

/** Reads the drill history of a `pitr enable` plan; null for any other plan. */
export function readCleanup(plan: Plan, dir: string): PitrCleanup | null {
  if (plan.purpose !== 'pitr' || !plan.pitr) return null;
  let repoMadeHere = false;
  try {
    repoMadeHere = openJournal(join(dir, 'journal')).stepState(REPOSITORY_STEP) === 'done';
  } catch {
    // No journal, or one that cannot be read: nothing proves the plan made the repository.
  }
  const target = { stanza: plan.pitr.stanza, configFile: plan.pitr.configFile };
  const file = drillLedgerPath(target);
  let lines: LedgerLine[] = [];
  try {
    if (existsSync(file)) lines = fileLedger(file, 'pitr').records();
  } catch {
    lines = [];
  }
  const of = <K extends string>(kind: K) =>
    lines.filter((l): l is Extract<LedgerLine, { kind: K }> => 'kind' in l && l.kind === kind);
  return {
    plan,
    runbooks: [...new Set(of('runbook').map((r) => r.out))],
    metrics: [...new Set(of('metrics').map((r) => r.path))],
    stateDir: drillStateDir(target),
    repoMadeHere,
  };
}

/** The drill history goes first (it sits in the configuration directory the rollback removes), unless kept. */
export function dropHistory(c: PitrCleanup, keep: boolean, log: (line: string) => void): void {
  if (!existsSync(c.stateDir)) return;
  if (keep) {
    log(`  kept the drill history ${c.stateDir} (--keep-drill-history)`);
    return;
  }
  rmSync(c.stateDir, { recursive: true, force: true });
  log(`  removed the drill history ${c.stateDir}`);
}

const MARK = '> **NO LONGER VALID**';
/** The `pitr enable` step that makes the repository (pitr/enable-steps.ts). */
const REPOSITORY_STEP = 'pgbackrest/repository';

/** A repository holding no backup set of the stanza (only the proof's WAL, and pgBackRest's info files). */
function holdsBackup(repo: string, stanza: string): boolean {
  const dir = join(repo, 'backup', stanza);
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((d) => /^\d{8}-\d{6}F/.test(d));
}

/** After the plan's undo: runbooks marked, metrics samples removed, an empty repository it made removed. */
export function finishCleanup(c: PitrCleanup, now: Date, dir: string, log: (line: string) => void): void {
  const p = c.plan;
  const s = p.pitr!;
  for (const book of c.runbooks) {
    if (!existsSync(book)) continue;
    const text = readFileSync(book, 'utf8');
    if (text.startsWith(MARK)) continue;
    writeFileAtomic(
      book,
      `${MARK} (${now.toISOString()}): pgharden rollback ${dir} turned off pgBackRest archiving for this cluster (stanza ${s.stanza}). Nothing below describes a working set-up: no WAL reaches the repository any more.\n\n${text}`,
      { mode: 0o600 },
    );
    log(`  marked the runbook ${book} no longer valid`);
  }
  const cluster = clusterLabel(p.server.configFile, p.server.major, p.binding.port);
  for (const file of c.metrics) {
    if (!existsSync(file)) continue;
    const n = dropScope(file, { cluster, stanza: s.stanza }, ['pgharden_pitr_', 'pgharden_drill_']);
    if (n) log(`  removed ${n} sample${n === 1 ? '' : 's'} of cluster ${cluster} (stanza ${s.stanza}) from ${file}`);
  }
  if (s.s3)
    log(
      `  kept every object in s3://${s.s3.bucket}${s.s3.path === '/' ? '' : s.s3.path}: pgharden never deletes from a bucket it did not create. Its backups and WAL stay there, encrypted; with ${s.s3.secretsFile} removed, only your own copy of the passphrase reads them`,
    );
  // Only what this apply made, still holding nothing but pgBackRest's own: a directory that
  // appeared between plan and apply (apply refused to take it over) is someone else's.
  if (s.repoCreated && c.repoMadeHere && existsSync(s.repo)) {
    const foreign = readdirSync(s.repo).filter((e) => e !== 'archive' && e !== 'backup');
    if (foreign.length)
      log(
        `  kept the repository ${s.repo}: it holds ${foreign.slice(0, 3).join(', ')}, which pgBackRest did not write`,
      );
    else if (holdsBackup(s.repo, s.stanza))
      log(`  kept the repository ${s.repo}: it holds backups of stanza ${s.stanza}`);
    else {
      rmSync(s.repo, { recursive: true, force: true });
      log(`  removed the repository ${s.repo} this plan created (it held no backup, only the WAL of the set-up)`);
    }
  }
}

/** Removes the configuration directories the plan made, now that the history no longer fills them (empty ones only). */
function dropConfigDirs(c: PitrCleanup, log: (line: string) => void): void {
  for (const s of [...c.plan.steps].reverse()) {
    if (!s.id.startsWith('pgbackrest/config-dir-') || s.undo?.do !== 'remove-file') continue;
    const dir = s.undo.path;
    try {
      if (existsSync(dir) && readdirSync(dir).length === 0) {
        rmdirSync(dir);
        log(`  removed ${dir}`);
      }
    } catch {
      // What someone else put there stays.
    }
  }
}

/** `pgharden rollback` for any plan; for a `pitr enable` plan, the cleanup above once the undo succeeded. */
export async function rollbackWithCleanup(
  dir: string,
  log: (line: string) => void,
  o: RollbackOptions & { keepDrillHistory?: boolean },
): Promise<RollbackResult> {
  const c = readCleanup(loadPlan(dir, { keyOptional: true }), dir);
  const result = await rollbackPlan(dir, log, o);
  if (!c) return result;
  if (result.kept.length) {
    log(
      '  the runbook, the metrics, the drill history and the repository stay as they are until the rollback completes',
    );
    return result;
  }
  dropHistory(c, o.keepDrillHistory === true, log);
  dropConfigDirs(c, log);
  finishCleanup(c, new Date(), dir, log);
  return result;
}
