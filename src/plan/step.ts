/** The one place a plan step gets its default fields. */
import type { Step } from './plan-types.js';

/** The fields every step names; the rest take `step()`'s defaults unless given. */
export type StepFields = Omit<Step, 'verify' | 'undo' | 'before' | 'after' | 'transactional' | 'restartRequired'> &
  Partial<Step>;

/**
 * A step with nothing to verify, undo or observe (`before`/`after` are `[{ of: 'none' }]`), not in
 * a transaction and taking effect without a restart, unless it says otherwise.
 */
export const step = (s: StepFields): Step => ({
  verify: [],
  undo: null,
  before: [{ of: 'none' }],
  after: [{ of: 'none' }],
  transactional: false,
  restartRequired: false,
  ...s,
});
