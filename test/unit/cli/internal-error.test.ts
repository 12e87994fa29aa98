import { describe, expect, it } from 'vitest';
import { changedBy } from '../../../src/cli/internal-error.js';

describe('what a bug says it may have changed', () => {
  it.each([
    [['audit', '--dsn', 'x'], 'this command only reads, so nothing was changed.'],
    [['review', 'plans/a'], 'this command only reads, so nothing was changed.'],
    [
      ['apply', 'plans/a', '--yes'],
      'steps may have run before it: pgharden status plans/a shows what was changed, and pgharden apply plans/a goes on from there.',
    ],
    [
      ['rollback', '--terminate', 'plans/b'],
      'steps may have run before it: pgharden status plans/b shows what was changed, and pgharden rollback plans/b goes on from there.',
    ],
    [
      ['pitr', 'enable', '--repo', '/r', '--out', 'plans/p', '--yes'],
      'steps may have run before it: pgharden status plans/p shows what was changed.',
    ],
  ])('%j', (argv, said) => {
    expect(changedBy(argv)).toBe(said);
  });

  it.each([['plan', '--spec', 'h.yaml'], ['backup', '--out', '/b'], ['demo'], ['pitr', 'backup']])(
    'never "nothing was changed" for %j',
    (...argv) => {
      expect(changedBy(argv)).not.toContain('nothing was changed');
    },
  );
});
