import type { CheckResult } from './run-checks.js';

/** A step failed in a way the plan anticipated; `refused` when it was stopped for safety (exit 3). */
export class StepError extends Error {
  constructor(
    message: string,
    readonly refused = false,
    readonly results: CheckResult[] = [],
  ) {
    super(message);
    this.name = 'StepError';
  }
}
