import { describe, expect, it } from 'vitest';
import { CONNECTION_FLAGS, connectionFrom, verb } from '../../../src/cli/command.js';
import type { CliError } from '../../../src/cli/usage-errors.js';

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

describe('verb: one preamble for every CLI verb', () => {
  const capture = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, o: { color: false, out: (t: string) => lines.out.push(t), err: (t: string) => lines.err.push(t) } };
  };
  const sample = verb({
    name: 'pitr sample',
    help: 'help',
    flags: { json: { type: 'boolean' }, ...CONNECTION_FLAGS, limit: { type: 'string' } },
    async run({ values, positionals, say, json, usage, connection }) {
      if (positionals.length) throw usage(`unexpected argument "${positionals[0]}"`);
      say('working');
      if (values.json) json({ schemaVersion: 1, connection: connection() });
      return 0;
    },
  });

  it('under --json, progress goes to stderr and stdout holds one indented document', async () => {
    const { lines, o } = capture();
    expect(await sample.run(['--json', '--dsn', 'host=/tmp'], o)).toBe(0);
    expect(lines).toEqual({
      out: ['{\n  "schemaVersion": 1,\n  "connection": {\n    "dsn": "host=/tmp"\n  }\n}'],
      err: ['working'],
    });
  });
  it('without --json, progress goes to stdout', async () => {
    const { lines, o } = capture();
    await sample.run([], o);
    expect(lines).toEqual({ out: ['working'], err: [] });
  });
  it("a wrong flag or argument is a usage error pointing at the verb's help", async () => {
    const { o } = capture();
    const flag = await sample.run(['--limt', '3'], o).catch((e: CliError) => e);
    expect([(flag as CliError).message, (flag as CliError).exitCode, (flag as CliError).next]).toEqual([
      'unknown option "--limt"; did you mean --limit?',
      2,
      'pgharden pitr sample --help',
    ]);
    const arg = await sample.run(['x'], o).catch((e: CliError) => e);
    expect([(arg as CliError).message, (arg as CliError).next]).toEqual([
      'unexpected argument "x"',
      'pgharden pitr sample --help',
    ]);
  });
});
