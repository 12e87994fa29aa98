/**
 * Retention for `pgharden backup --out DIR`: each run is a directory named by its UTC start
 * (`20261122T031500Z`). Kept: every run younger than `keepDays` days, and the newest run of each
 * of the last `keepWeekly` ISO weeks. Only directories with that exact name pattern directly in
 * DIR are ever considered, so nothing else in (or outside) DIR is touched. Pure decision + I/O edge.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function runName(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function runTime(name: string): Date | null {
  const m = RUN_NAME.exec(name);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : null;
}

/** ISO week key (year-week) of a date, in UTC. */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Which run names to keep and which to remove. */
export function retain(
  names: readonly string[],
  now: Date,
  policy: { keepDays?: number; keepWeekly?: number },
): { keep: string[]; remove: string[] } {
  const runs = names
    .map((n) => ({ n, t: runTime(n) }))
    .filter((r): r is { n: string; t: Date } => r.t !== null)
    .sort((a, b) => b.t.getTime() - a.t.getTime());
  const keep = new Set<string>();
  if (policy.keepDays !== undefined)
    for (const r of runs) if (now.getTime() - r.t.getTime() < policy.keepDays * 86_400_000) keep.add(r.n);
  if (policy.keepWeekly !== undefined && policy.keepWeekly > 0) {
    const weeks: string[] = [];
    for (let i = 0; i < policy.keepWeekly; i++) weeks.push(isoWeek(new Date(now.getTime() - i * 7 * 86_400_000)));
    for (const w of weeks) {
      const newest = runs.find((r) => isoWeek(r.t) === w);
      if (newest) keep.add(newest.n);
    }
  }
  return {
    keep: runs.filter((r) => keep.has(r.n)).map((r) => r.n),
    remove: runs.filter((r) => !keep.has(r.n)).map((r) => r.n),
  };
}

/** Applies the policy in `dir`; returns the removed run directories. No policy, nothing removed. */
export function prune(dir: string, now: Date, policy: { keepDays?: number; keepWeekly?: number }): string[] {
  if (policy.keepDays === undefined && policy.keepWeekly === undefined) return [];
  const names = readdirSync(dir).filter((n) => RUN_NAME.test(n) && statSync(join(dir, n)).isDirectory());
  const { remove } = retain(names, now, policy);
  for (const n of remove) rmSync(join(dir, n), { recursive: true, force: true });
  return remove.map((n) => join(dir, n));
}
