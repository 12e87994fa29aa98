import type { RecoveryEvent } from '../cluster/recovery-facts.js';

const DAY = 86_400_000;

/**
 * Whether a backup or drill is too old: null when it is recent enough or unknown (`undefined`:
 * not judged); else its age in days, or null age when there is none at all.
 */
export function staleness(
  now: string,
  event: RecoveryEvent | null | undefined,
  maxDays: number,
): { age: number | null } | null {
  if (event === undefined) return null;
  if (event === null) return { age: null };
  const age = (Date.parse(now) - Date.parse(event.at)) / DAY;
  return age <= maxDays ? null : { age };
}
