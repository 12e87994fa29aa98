/**
 * The restore drill's scratch databases, owned by the run that creates them. Each gets a random
 * name (`pgharden_drill_` + 16 hex digits) that no user database is expected to have, is written to
 * a ledger (fsynced) before `CREATE DATABASE`, and is marked dropped after `DROP DATABASE`; a run
 * killed in between leaves its name in the ledger, and the next run (or rollback) drops it. Only
 * names in the ledger are ever dropped, and a name found taken at creation is given up, not dropped.
 * `pitr drill` records its scratch directories the same way (kind 'pitr'), in a ledger it keeps as
 * its drill history: each drill's result and where the runbook was last written.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { appendLine } from '../core/atomic.js';
import type { SqlSessions } from './dump.js';

/** Where a run records its scratch databases: the apply journal, or a file beside the backups. */
export interface DrillLedger {
  /** Recorded durably before the database is created. */
  creating(name: string): void;
  /** Recorded after the database is gone (dropped, or never created by this run). */
  dropped(name: string): void;
  /** Names recorded as being created and not yet dropped. */
  pending(): string[];
}

/** Ledger entries, as the journal and the ledger file both store them. */
export interface DrillEntry {
  /** A scratch database, or a `pitr drill`'s scratch directory (kind 'pitr'). */
  name: string;
  state: 'creating' | 'dropped';
  kind?: 'pitr';
}

/** What a finished `pitr drill` leaves in its ledger, which is also the drill history the runbook reads. */
export interface PitrDrillRecord {
  kind: 'pitr-result';
  at: string;
  ok: boolean;
  /** Restore and replay until promotion, in seconds (null when the drill failed before). */
  rtoSeconds: number | null;
  /** The RPO bound when the drill began (seconds since the oldest write not yet archived). */
  rpoSeconds: number | null;
  /** The RPO target (archive_timeout, seconds) it was measured against, when one was set. */
  rpoTargetSeconds?: number;
  target: string;
}

/** Where `pgharden runbook --out` last wrote, so each drill regenerates it from the same inputs. */
export interface RunbookRecord {
  kind: 'runbook';
  out: string;
  backups?: string;
  plans?: string;
}

/** A metrics file `pitr backup` or `pitr drill` wrote this stanza's samples into (rollback removes them). */
export interface MetricsRecord {
  kind: 'metrics';
  path: string;
}

/** One line of a ledger file. */
export type LedgerLine = DrillEntry | PitrDrillRecord | RunbookRecord | MetricsRecord;
const isEntry = (l: LedgerLine): l is DrillEntry => 'state' in l;

/** A fresh scratch database name: 31 bytes, well within PostgreSQL's 63. */
export const newDrillName = () => `pgharden_drill_${randomBytes(8).toString('hex')}`;

/** The names created and never dropped, from entries in the order they were recorded. */
export function pendingOf(entries: DrillEntry[]): string[] {
  const open = new Set<string>();
  for (const e of entries) {
    if (e.state === 'creating') open.add(e.name);
    else open.delete(e.name);
  }
  return [...open];
}

/** A ledger in a file of JSON lines (`pgharden backup` keeps it in its --out directory). */
export function fileLedger(
  file: string,
  kind?: 'pitr',
): DrillLedger & {
  close(): void;
  /** Records a metrics file once. */
  noteMetrics(path: string): void;
  note(r: PitrDrillRecord | RunbookRecord | MetricsRecord): void;
  records(): LedgerLine[];
} {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  // A line cut short by a crash gets a line end of its own, so the next entry is not glued to it.
  let cut = text !== '' && !text.endsWith('\n');
  const lines: LedgerLine[] = text
    ? text.split('\n').flatMap((l) => {
        try {
          return [JSON.parse(l) as LedgerLine];
        } catch {
          return []; // a line cut short by a crash: its database was not created yet
        }
      })
    : [];
  const entries = () => lines.filter(isEntry);
  const add = (e: LedgerLine) => {
    appendLine(file, `${cut ? '\n' : ''}${JSON.stringify(e)}`);
    cut = false;
    lines.push(e);
  };
  return {
    creating: (name) => add({ name, state: 'creating', ...(kind ? { kind } : {}) }),
    dropped: (name) => add({ name, state: 'dropped', ...(kind ? { kind } : {}) }),
    pending: () => pendingOf(entries()),
    note: add,
    records: () => [...lines],
    noteMetrics(path: string) {
      if (!lines.some((l) => 'kind' in l && l.kind === 'metrics' && l.path === path)) add({ kind: 'metrics', path });
    },
    close() {
      // A ledger that is also a history (drill results, the runbook's path) is kept.
      if (lines.every(isEntry) && pendingOf(entries()).length === 0 && existsSync(file)) unlinkSync(file);
    },
  };
}

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Drops a scratch database this run (or a killed run before it) created; FORCE ends a restore left running. */
export async function dropDrill(s: SqlSessions, ledger: DrillLedger, name: string): Promise<void> {
  await s.release(name);
  await s.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
  ledger.dropped(name);
}

/** Drops what the ledger says a killed run left behind; returns the names. */
export async function dropLeftDrills(s: SqlSessions, ledger: DrillLedger): Promise<string[]> {
  const left = ledger.pending();
  for (const name of left) await dropDrill(s, ledger, name);
  return left;
}

/** Creates a scratch database under a new name, recorded first; a name found taken is given up, never dropped. */
export async function createDrill(s: SqlSessions, ledger: DrillLedger): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const name = newDrillName();
    ledger.creating(name);
    try {
      await s.query(`CREATE DATABASE ${ident(name)} TEMPLATE template0`);
      return name;
    } catch (err) {
      // 42P04 duplicate_database: someone else's; forget the name and leave that database alone.
      if ((err as { code?: string }).code !== '42P04') throw err;
      ledger.dropped(name);
      if (attempt >= 3) throw err;
    }
  }
}
