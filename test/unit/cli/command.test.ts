import { describe, expect, it } from 'vitest';
import { connectionFrom } from '../../../src/cli/command.js';

describe('connectionFrom: the flags, else PGHARDEN_DSN', () => {
  const env = { PGHARDEN_DSN: 'postgres://postgres:s3cret@/postgres?host=/run/postgresql' };
  it.each([
    [{}, {}, {}],
    [{}, env, { dsn: env.PGHARDEN_DSN }],
    [{ dsn: 'host=/tmp' }, env, { dsn: 'host=/tmp' }],
    [{ cluster: '15/main' }, env, { cluster: '15/main' }],
    [{}, { PGHARDEN_DSN: '' }, {}],
  ])('%j with %j', (values, environment, expected) => {
    expect(connectionFrom(values, environment)).toEqual(expected);
  });
});
