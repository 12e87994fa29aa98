/**
 * The journal (`plans/NAME/journal`): append-only, one JSON record per line, each carrying the
 * hash of the one before it, so an edited, reordered or deleted line is found. Every append is
 * fsynced before the action it announces (intent) and after the state it records (done).
 * A partial last line is what a crash in the middle of an append leaves: it is ignored, and cut
 * off before the next append.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Action, State } from '../plan/plan-types.js';
import { appendLine } from '../core/atomic.js';
import { canonicalJson } from '../core/canonical.js';
import { RefusedError } from '../core/errors.js';

/** What a record says, by type. */
export type JournalEntry =
  | { type: 'run-start'; planId: string; pid: number; host: string; version: string }
  | { type: 'intent'; stepId: string; undo: Action | null }
  | { type: 'done'; stepId: string; after: State[] }
  | { type: 'failed'; stepId: string; error: string }
  | { type: 'verification'; stepId: string; result: unknown }
  | { type: 'revert-intent'; stepId: string }
  | { type: 'reverted'; stepId: string }
  /** A restore drill's scratch database, recorded before it is created and after it is dropped. */
  | { type: 'scratch-database'; name: string; state: 'creating' | 'dropped' }
  | { type: 'run-end'; outcome: string };

export type JournalRecord = JournalEntry & { seq: number; at: string; prev: string; hash: string };

export type StepState = 'not-started' | 'intent' | 'done' | 'failed' | 'reverted';

/** A journal that does not hash-chain: refused, never repaired. */
export class JournalTamperedError extends RefusedError {
  constructor(
    readonly file: string,
    readonly line: number,
    why: string,
  ) {
    super(
      `Journal "${file}" line ${line} ${why}: has the file been tampered with? Nothing was changed; inspect the file, or put the files back from the plan's backup (sh ${dirname(file)}/rollback.sh)`,
    );
  }
}

const GENESIS = '0'.repeat(64);
const hashOf = (rec: Omit<JournalRecord, 'hash'>) => createHash('sha256').update(canonicalJson(rec)).digest('hex');

export interface Journal {
  readonly file: string;
  readonly records: readonly JournalRecord[];
  append(entry: JournalEntry): JournalRecord;
  /** The latest word on a step. */
  stepState(stepId: string): StepState;
}

function read(file: string): { records: JournalRecord[]; validBytes: number } {
  if (!existsSync(file)) return { records: [], validBytes: 0 };
  const text = readFileSync(file, 'utf8');
  const complete = text.lastIndexOf('\n') + 1;
  const records: JournalRecord[] = [];
  let prev = GENESIS;
  text
    .slice(0, complete)
    .split('\n')
    .slice(0, -1)
    .forEach((line, i) => {
      let rec: JournalRecord;
      try {
        rec = JSON.parse(line) as JournalRecord;
      } catch {
        throw new JournalTamperedError(file, i + 1, 'is not a journal record');
      }
      const { hash, ...body } = rec;
      if (rec.seq !== i + 1)
        throw new JournalTamperedError(file, i + 1, `has sequence number ${rec.seq}, not ${i + 1}`);
      if (rec.prev !== prev) throw new JournalTamperedError(file, i + 1, 'does not follow the line before it');
      if (hashOf(body) !== hash) throw new JournalTamperedError(file, i + 1, 'does not match its hash');
      prev = hash;
      records.push(rec);
    });
  return { records, validBytes: Buffer.byteLength(text.slice(0, complete)) };
}

export { appendLine };

export function openJournal(file: string): Journal {
  const loaded = read(file);
  const records = loaded.records;
  let truncateTo: number | undefined = existsSync(file) ? loaded.validBytes : undefined;
  const latest = new Map<string, StepState>();
  const note = (r: JournalRecord) => {
    if (r.type === 'intent' || r.type === 'revert-intent')
      latest.set(r.stepId, r.type === 'intent' ? 'intent' : (latest.get(r.stepId) ?? 'intent'));
    else if (r.type === 'done') latest.set(r.stepId, 'done');
    else if (r.type === 'failed') latest.set(r.stepId, 'failed');
    else if (r.type === 'reverted') latest.set(r.stepId, 'reverted');
  };
  records.forEach(note);
  return {
    file,
    records,
    append(entry) {
      const body = {
        ...entry,
        seq: records.length + 1,
        at: new Date().toISOString(),
        prev: records.at(-1)?.hash ?? GENESIS,
      } as Omit<JournalRecord, 'hash'>;
      const rec = { ...body, hash: hashOf(body) } as JournalRecord;
      // A crash mid-append left a partial line: cut it off before writing after it.
      if (truncateTo !== undefined) truncateSync(file, truncateTo);
      truncateTo = undefined;
      appendLine(file, JSON.stringify(rec));
      records.push(rec);
      note(rec);
      return rec;
    },
    stepState: (id) => latest.get(id) ?? 'not-started',
  };
}
