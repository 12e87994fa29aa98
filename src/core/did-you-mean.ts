/**
 * "Did you mean": the known name closest to a mistyped one (an option, a spec key), when it is
 * close enough to be the likely intent: at most two edits, or one name the other starts with.
 */

/** Levenshtein distance (insert, delete, substitute; each costs 1). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The candidate `word` most likely meant, or undefined when none is close. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const c of candidates) {
    const l = c.toLowerCase();
    const d = l.startsWith(w) || w.startsWith(l) ? Math.min(1, distance(w, l)) : distance(w, l);
    if (d <= Math.max(1, Math.min(2, Math.floor(l.length / 3))) && (!best || d < best.d)) best = { name: c, d };
  }
  return best?.name;
}
