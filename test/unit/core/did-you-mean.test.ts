import { describe, expect, it } from 'vitest';
import { closest } from '../../../src/core/did-you-mean.js';

describe('closest', () => {
  it.each([
    ['clustr', ['dsn', 'cluster', 'json'], 'cluster'],
    ['jsonn', ['dsn', 'cluster', 'json'], 'json'],
    ['trustedRange', ['trustedRanges', 'allowAnywhere', 'superuser', 'listenAddresses'], 'trustedRanges'],
    ['role', ['target', 'network', 'roles', 'consumers'], 'roles'],
    ['verbose', ['dsn', 'cluster', 'json'], undefined],
    ['x', ['yes', 'json'], undefined],
  ])('%s among %j: %s', (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });
});
