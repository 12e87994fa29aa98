/**
 * Differential test of `/regex` names: pgharden's parser of PostgreSQL regular expressions
 * against the server's own compiler (the error text of `~` is regerror()'s, as in
 * pg_hba_file_rules and pg_ident_file_mappings), and its JavaScript translation against the
 * server's matches in the C collation, which is what pg_hba.conf and pg_ident.conf use.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compileName, regexError } from '../../src/conf/regex.js';
import { seededRandom } from '../support/match-gen.js';
import { testedInstalls, useCluster } from '../support/cluster.js';

const CHOSEN = [
  '^(.*)@mydomain\\.com$',
  '(?<n>a)',
  '\\k<n>',
  '\\p{L}',
  '(?<=a)b',
  '(?<!a)b',
  '(?=a)',
  '(?:a)',
  'a{,3}',
  'a{3}',
  '\\d+',
  '\\w\\s',
  '[[:alpha:]]',
  '[[:foo:]]',
  '[[:word:]]+',
  '[[::]]',
  '[[.a.]]',
  '[[.ab.]]',
  '[[..]]',
  '[[=a=]]',
  '\\u0041',
  '\\x41',
  '\\0',
  '\\1',
  '(a)\\1',
  '(a\\1)',
  '(?=(a)\\1)',
  '\\12',
  '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)\\12',
  '\\b',
  '\\B',
  '\\y',
  '\\m',
  '\\M',
  '\\A',
  '\\Z',
  '\\z',
  'a**',
  'a+?',
  'a{2}{3}',
  '(?i)a',
  '(?x) a b # c',
  '***:a',
  '***=a.b',
  '***?',
  '***',
  '***x',
  '.*\\',
  '[\\d]',
  '[a-\\d]',
  '\\/',
  '\\@',
  '\\-',
  '\\.',
  '[]',
  '[^]',
  '[]a]',
  '[^]a]',
  '|a',
  'a|',
  '()',
  '(?)',
  '(?P<n>a)',
  '\\cA',
  '\\c',
  '\\e',
  '\\f\\n\\r\\t\\v',
  '\\$',
  'a{1,2,3}',
  'a{99999}',
  'a{255}',
  'a{256}',
  'a{1,256}',
  '[z-a]',
  '[a-a]',
  '[a-]',
  '[-a]',
  '[a-b-c]',
  '[a--]',
  '\\Q',
  '\\h',
  '^*',
  '$*',
  'x{2',
  'x}',
  ')',
  ']',
  '(',
  '(a',
  'a)',
  '(?#comment)a',
  '(?#unterminated',
  '[[:<:]]a[[:>:]]',
  '(?b)a\\{2\\}',
  '(?b)\\(a\\)\\1',
  '(?b)*a',
  '(?e)a(?:b)',
  '(?e)a)',
  '(?q)a.b*',
  '(?n)^a$',
  '(?z)a',
  '(?i',
  '\\x',
  '\\xfffffffff',
  '\\u12',
  '\\U0010FFFF',
  '\\U00110000',
  '(?=a)*',
  '\\y?',
  'a{2,}?',
  'a{2}?',
  'a{',
  'a{x}',
  'a{1,x}',
  '[[:alpha:]-z]',
  '[a-[.z.]]',
  '[\\w-z]',
  'é+',
  '[α-ω]',
  '(a|b)*c\\1',
];

/** Random strings over the characters that matter to the grammar, reproducible by seed. */
function generated(seed: number, count: number): string[] {
  const rnd = seededRandom(seed);
  const alphabet = [
    ...'ab()[]{}*+?|^$.-:=!<>#,0129dDwWsyYmMAZxuUcqi \\',
    '(?',
    '[:',
    ':]',
    '\\d',
    '[[:alpha:]]',
    '{2,3}',
    '(?i)',
    '***',
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(rnd() * 8);
    let p = '';
    for (let j = 0; j < n; j++) p += alphabet[Math.floor(rnd() * alphabet.length)];
    out.push(p);
  }
  return out;
}

/**
 * Matches that differ, with the reason. A backreference to a group that took no part in the
 * match fails in PostgreSQL but matches the empty string in JavaScript, and JavaScript has no
 * construct to tell the two apart. Listed so that the test fails if they ever agree.
 */
const KNOWN_MATCH_DIFFERENCES: Record<string, string> = {
  '(a|b)*c\\1 on bob@mydomain.com': 'backreference to a group that did not participate',
};

const SUBJECTS = [
  '',
  'a',
  'b',
  'ab',
  'ba',
  'aab',
  'abab',
  'a b',
  'A',
  'AB',
  '0',
  '12',
  'x-y',
  'a\nb',
  '_',
  'é',
  'a.b',
  '[a]',
  '{1}',
  '\\',
  'aaa',
  'bob@mydomain.com',
];

describe.each(testedInstalls())('regular expressions on PostgreSQL $major', (install) => {
  const cluster = useCluster(install);
  beforeAll(async () => {
    await cluster().query(`CREATE OR REPLACE FUNCTION pg_temp_re_err(p text) RETURNS text LANGUAGE plpgsql AS $$
      BEGIN PERFORM 'x' ~ p; RETURN NULL; EXCEPTION WHEN others THEN RETURN SQLERRM; END $$`);
  });

  async function serverErrors(patterns: string[]): Promise<(string | null)[]> {
    const rows = await cluster().query<{ e: string | null }>(
      'SELECT pg_temp_re_err(p) AS e FROM unnest($1::text[]) WITH ORDINALITY AS t(p, i) ORDER BY i',
      [patterns],
    );
    return rows.map((r) => (r.e === null ? null : r.e.replace(/^invalid regular expression: /, '')));
  }

  async function check(patterns: string[]): Promise<void> {
    const theirs = await serverErrors(patterns);
    const ours = patterns.map((p) => regexError(p)?.slice(`invalid regular expression "${p}": `.length) ?? null);
    expect(patterns.map((p, i) => [p, ours[i]])).toEqual(patterns.map((p, i) => [p, theirs[i]]));
    const valid = patterns.filter((_, i) => theirs[i] === null);
    const matches = await cluster().query<{ p: string; s: string; m: boolean }>(
      'SELECT p, s, s ~ (p COLLATE "C") AS m FROM unnest($1::text[]) p, unnest($2::text[]) s',
      [valid, SUBJECTS],
    );
    const compiled = new Map(valid.map((p) => [p, compileName(p)]));
    const known = (p: string, s: string) => Object.hasOwn(KNOWN_MATCH_DIFFERENCES, `${p} on ${s}`);
    expect(matches.map(({ p, s }) => [p, s, compiled.get(p)?.test(s) ?? 'not compiled'])).toEqual(
      matches.map(({ p, s, m }) => [p, s, known(p, s) ? !m : m]),
    );
  }

  it('agrees on chosen patterns', () => check(CHOSEN));
  // PGHARDEN_REGEX_SEED and PGHARDEN_REGEX_CASES widen the search when needed.
  const seed = Number(process.env.PGHARDEN_REGEX_SEED ?? 7);
  const cases = Number(process.env.PGHARDEN_REGEX_CASES ?? 3000);
  it(`agrees on ${cases} generated patterns (seed ${seed})`, () => check(generated(seed, cases)));
});
