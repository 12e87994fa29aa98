import type { Snapshot } from '../cluster/introspect.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The plan stage (preflight … verify, docs/plan-and-review.md) that resolves a finding, or `manual` when no stage does. */
export type FixStage = 'preflight' | 'roles' | 'canary' | 'consumers' | 'flip' | 'verify' | 'manual';

/** One risk found, with the exact evidence and what fixes it. Part of the stable `--json` schema. */
export interface Finding {
  /** Stable id, e.g. `hba-trust-network`. */
  id: string;
  severity: Severity;
  title: string;
  /** File:line quotes, role names, settings: what proves it. */
  evidence: string[];
  why: string;
  fix: { stage: FixStage; text: string };
  /** The CIS PostgreSQL Benchmark recommendation, by title (its number differs between benchmark versions). */
  cis?: string;
}

/** One audit check: a pure function of the snapshot. */
export interface AuditCheck {
  id: string;
  title: string;
  run(s: Snapshot): Omit<Finding, 'id' | 'title'>[];
}

export function atLeast(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b);
}
