import { describe, expect, it } from 'vitest';
import { step } from '../../../src/plan/step.js';

describe('step', () => {
  const forward = { do: 'reload' } as const;
  it('fills what a step does not say: nothing to verify, undo or observe; no transaction, no restart', () => {
    expect(step({ id: 'canary/reload', stage: 'canary', kind: 'reload', description: 'Reload', forward })).toEqual({
      id: 'canary/reload',
      stage: 'canary',
      kind: 'reload',
      description: 'Reload',
      forward,
      verify: [],
      undo: null,
      before: [{ of: 'none' }],
      after: [{ of: 'none' }],
      transactional: false,
      restartRequired: false,
    });
  });
  it('keeps what it says', () => {
    const s = step({
      id: 'x/y',
      stage: 'roles',
      kind: 'sql',
      description: 'd',
      forward,
      transactional: true,
      undo: forward,
    });
    expect([s.transactional, s.undo, s.restartRequired]).toEqual([true, forward, false]);
  });
});
