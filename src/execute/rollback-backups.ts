/**
 * Before rollback writes any saved copy back over a live file (as root, over pg_hba.conf), each
 * copy must be the one apply saved: its sha256 equal to what the journal recorded when apply took
 * it, and to what the signed plan recorded for the file. All are checked before any is written,
 * so a refusal leaves every live file as it was; each is checked again as it is read for writing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RefusedError } from '../core/errors.js';
import type { Action, Plan, Step } from '../plan/plan-types.js';
import type { Journal } from './journal.js';

type Restore = Extract<Action, { do: 'restore-file' }>;

/** A saved copy that is not what apply saved. */
export class AlteredBackupError extends RefusedError {}

/** The sha256 each saved copy (by its name under the plan directory, e.g. backup/01-pg_hba.conf) must have. */
export function savedHashes(plan: Plan, journal: Journal): Map<string, string[]> {
  const want = new Map<string, string[]>();
  const add = (rel: string, sha: string | null) => {
    if (sha !== null && !want.get(rel)?.includes(sha)) want.set(rel, [...(want.get(rel) ?? []), sha]);
  };
  const backup = plan.steps.find((s) => s.forward.do === 'backup');
  // The journal's record of the backup step: its after-state names each copy where apply wrote it.
  for (const r of journal.records)
    if (r.type === 'done' && r.stepId === backup?.id)
      for (const s of r.after)
        if (s.of === 'file') {
          const rel = /(?:^|\/)(backup\/[^/]+)$/.exec(s.path)?.[1];
          if (rel) add(rel, s.sha256);
        }
  if (backup?.forward.do === 'backup')
    for (const f of backup.forward.files)
      add(f.backup, plan.binding.files.find((b) => b.path === f.path)?.sha256 ?? null);
  return want;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Why this copy must not be written back (null: it is the one apply saved, or there is none to read). */
export function alteredCopy(dir: string, a: Restore, want: Map<string, string[]>): string | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, a.backup));
  } catch {
    return null; // A missing copy is reported by the restore itself, which leaves the file as it is.
  }
  const expected = want.get(a.backup) ?? [];
  const got = sha256(bytes);
  if (expected.length === 0 || expected.every((e) => e === got)) return null;
  return `${join(dir, a.backup)} (the saved copy of ${a.path}) has sha256 ${got}, but apply saved one with sha256 ${expected.find((e) => e !== got)}`;
}

/** Refuses the whole rollback when any copy these steps would write back is not the one apply saved. */
export function refuseAlteredBackups(dir: string, steps: readonly Step[], want: Map<string, string[]>): void {
  const bad = [
    ...new Set(
      steps.flatMap((s) => (s.undo?.do === 'restore-file' ? [alteredCopy(dir, s.undo, want)] : [])).filter(Boolean),
    ),
  ];
  if (bad.length)
    throw new AlteredBackupError(
      `Refusing to roll back: ${bad.length === 1 ? 'a saved copy has' : `${bad.length} saved copies have`} been changed since apply saved ${bad.length === 1 ? 'it' : 'them'}, and would be written over live files as root:\n${bad.map((b) => `  ${b}`).join('\n')}\nNothing was restored. Find out who changed ${bad.length === 1 ? 'it' : 'them'}; put each live file back by hand from a copy you trust, then reload the server.`,
    );
}
