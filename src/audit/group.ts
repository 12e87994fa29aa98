import type { Finding, Severity } from './finding-types.js';

type Draft = Omit<Finding, 'id' | 'title'>;

/**
 * One finding per severity for checks that flag many lines of the same kind: the evidence lists
 * every line, so a 10,000-line file yields a readable report rather than thousands of entries.
 */
export function bySeverity(drafts: Draft[]): Draft[] {
  const groups = new Map<Severity, Draft>();
  for (const d of drafts) {
    const g = groups.get(d.severity);
    if (g) for (const e of d.evidence) g.evidence.push(e);
    else groups.set(d.severity, { ...d, evidence: [...d.evidence] });
  }
  return [...groups.values()];
}
