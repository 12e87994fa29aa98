import { describe, expect, it } from 'vitest';
import { defaultContext } from '../../../src/conf/context.js';
import { loadHba } from '../../../src/conf/load-hba.js';
import { resolveRadiusNames } from '../../../src/hba/radius-names.js';

const context = defaultContext({ major: 16 });
const FILE = '/pg/pg_hba.conf';
const load = (text: string) =>
  loadHba(FILE, { context, readFile: (p) => (p === FILE ? { text, encoding: 'utf8' } : undefined) });
/** Resolves `*.test` and `localhost`; every other name is unknown. */
const asked: string[] = [];
const resolver = async (name: string) => {
  asked.push(name);
  return name === 'localhost' || name.endsWith('.test') ? undefined : 'Name or service not known';
};
const empty = { type: null, database: null, auth_method: null, options: null, error: null };

describe('resolveRadiusNames', () => {
  it.each([
    ['a name that resolves keeps the rule', 'radiusservers=localhost radiussecrets=x', true, null],
    ['an address needs no lookup', 'radiusservers=127.0.0.1 radiussecrets=x', true, null],
    [
      'one name of a list that does not resolve fails the line',
      'radiusservers="a.test,nosuch.invalid" radiussecrets=x',
      false,
      null,
    ],
    // The name is looked up when the option is read: before a later bad option, before the list checks.
    ['before a later bad option', 'radiusservers=nosuch.invalid radiussecrets=x pamservice=a', false, null],
    ['before the checks on list lengths', 'radiusservers=nosuch.invalid radiussecrets="a,b,c"', false, null],
    // An option the server rejects before it reaches radiusservers keeps its own error.
    [
      'after an earlier bad option',
      'radiussecrets=x pamservice=a radiusservers=nosuch.invalid',
      false,
      'authentication option "pamservice" is only valid for authentication methods pam',
    ],
  ])('%s', async (_, options, kept, error) => {
    asked.length = 0;
    const loaded = load(`local all all peer\nhost all all 10.0.0.0/8 radius ${options}\n`);
    const pass = await resolveRadiusNames(loaded, context, resolver);
    const row = pass.loaded.rows[1]!;
    if (kept) {
      expect(row).toMatchObject({ auth_method: 'radius', error: null });
      expect(pass.loaded.rules.map((r) => r.line)).toEqual([1, 2]);
    } else if (error === null) {
      expect(row).toMatchObject(empty);
      expect(pass.loaded.rules.map((r) => r.line)).toEqual([1]);
      expect(pass.failed).toEqual([`${FILE}:2`]);
      const line = pass.loaded.files.get(FILE)!.lines[1]!;
      expect(line).toMatchObject({
        kind: 'error',
        error: expect.stringContaining(
          'could not translate RADIUS server name "nosuch.invalid" to address: Name or service not known',
        ),
        viewError: null,
      });
    } else {
      expect(row.error).toBe(error);
      expect(asked).toEqual([]);
    }
  });

  it('asks each name once and leaves files without radius lines as they were', async () => {
    asked.length = 0;
    const loaded = load(
      'host all a 10.0.0.0/8 radius radiusservers=x.test radiussecrets=s\nhost all b 10.0.0.0/8 radius radiusservers=x.test radiussecrets=s\n',
    );
    const pass = await resolveRadiusNames(loaded, context, resolver);
    expect(asked).toEqual(['x.test']);
    expect(pass.looked).toEqual(['x.test']);
    expect(pass.loaded).toBe(loaded);
  });
});
