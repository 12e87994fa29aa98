import { describe, expect, it } from 'vitest';
import { defaultContext } from '../../../src/conf/context.js';
import { identRows, parseIdent, renderIdent } from '../../../src/conf/ident.js';

const file = '/etc/postgresql/pg_ident.conf';
const ctx16 = defaultContext({ major: 16 });
const ctx15 = defaultContext({ major: 15 });
const parse = (text: string, context = ctx16) => parseIdent(text, { file, context });

describe('parseIdent', () => {
  it.each([
    ['omicron bryanh bryanh', 'omicron', { value: 'bryanh', quoted: false }, { value: 'bryanh', quoted: false }],
    ['m1 "Robert Smith" rsmith', 'm1', { value: 'Robert Smith', quoted: true }, { value: 'rsmith', quoted: false }],
    [
      'm2 /^(.*)@example\\.com$ \\1',
      'm2',
      { value: '/^(.*)@example\\.com$', quoted: false },
      { value: '\\1', quoted: false },
    ],
    ['m3\ta\tb # trailing comment', 'm3', { value: 'a', quoted: false }, { value: 'b', quoted: false }],
    ['m4 a b extra', 'm4', { value: 'a', quoted: false }, { value: 'b', quoted: false }],
    ['m5 "a""b" "all"', 'm5', { value: 'a"b', quoted: true }, { value: 'all', quoted: true }],
  ])('%s', (text, map, systemUser, pgUser) => {
    const [line] = parse(text);
    expect(line).toMatchObject({ kind: 'record', line: 1, mapping: { map, systemUser, pgUser } });
  });

  it.each([
    ['m onlytwo', 'missing entry at end of line'],
    ['m', 'missing entry at end of line'],
    ['m a,b c', 'multiple values in ident field'],
    ['m a b,c', 'multiple values in ident field'],
    ['m1,m2 a b', 'multiple values in ident field'],
    ['m /^(abc x', 'invalid regular expression "^(abc": parentheses () not balanced'],
    ['m /[a x', 'invalid regular expression "[a": brackets [] not balanced'],
    ['m /* x', 'invalid regular expression "*": quantifier operand invalid'],
    // The server compiles a quoted name that starts with a slash too.
    ['m2 "/(" x', 'invalid regular expression "(": parentheses () not balanced'],
  ])('%s → %s', (text, error) => {
    expect(parse(text)[0]).toMatchObject({ kind: 'error', error });
  });

  it.each([
    ['', []],
    ['# comment\n', ['comment']],
    ['   \t\n', ['blank']],
    ['\n\n', ['blank', 'blank']],
    ['  # indented\nm a b\n', ['comment', 'record']],
  ])('line kinds of %j', (text, kinds) => {
    expect(parse(text).map((l) => l.kind)).toEqual(kinds);
  });

  it('reads include directives on 16+ only', () => {
    const text = 'include other.conf\ninclude_if_exists maybe.conf\ninclude_dir conf.d\n';
    expect(parse(text).map((l) => (l.kind === 'include' ? [l.directive, l.path] : l.kind))).toEqual([
      ['include', 'other.conf'],
      ['include_if_exists', 'maybe.conf'],
      ['include_dir', 'conf.d'],
    ]);
    expect(parse(text, ctx15).map((l) => (l.kind === 'error' ? l.error : l.kind))).toEqual([
      'missing entry at end of line',
      'missing entry at end of line',
      'missing entry at end of line',
    ]);
  });

  it('keeps a continued record as one line numbered by its first physical line', () => {
    const lines = parse('# head\nm7 alice \\\n  alice_pg\nm8 b c\n');
    expect(lines.map((l) => [l.kind, l.line])).toEqual([
      ['comment', 1],
      ['record', 2],
      ['record', 4],
    ]);
    expect(lines[1]!.raw).toBe('m7 alice \\\n  alice_pg\n');
  });
});

describe('renderIdent', () => {
  it.each([
    ['LF', 'm a b\n# c\n\n'],
    ['CRLF', 'm a b\r\n# c\r\n\r\n'],
    ['mixed', 'm a b\r\nn c d\n\r\n'],
    ['no final newline', 'm a b\nn c d'],
    ['continuation', 'm a \\\r\n b\n'],
    ['non-ASCII and trailing blanks', 'größe "Jürgen Ä" jürgen  \t\n\t\n'],
    ['errors kept', 'm onlytwo\nm /( x\n'],
    ['invalid UTF-8 decoded', Buffer.from([0x6d, 0x20, 0xff, 0xfe, 0x20, 0x62, 0x0a]).toString('utf8')],
  ])('round trips %s', (_, text) => {
    expect(renderIdent(parse(text))).toBe(text);
  });
});

describe('identRows', () => {
  it('shows records and errors, names unquoted, in file order', () => {
    const text = '# MAP SYS PG\nm1 "Robert Smith" "rsmith"\n\nm2 onlytwo\nm3 /^(.*)$ \\1\n';
    expect(identRows(parse(text), { file })).toEqual([
      { file, line_number: 2, map_name: 'm1', sys_name: 'Robert Smith', pg_username: 'rsmith', error: null },
      {
        file,
        line_number: 4,
        map_name: null,
        sys_name: null,
        pg_username: null,
        error: 'missing entry at end of line',
      },
      { file, line_number: 5, map_name: 'm3', sys_name: '/^(.*)$', pg_username: '\\1', error: null },
    ]);
  });

  it('leaves include lines to the loader', () => {
    expect(identRows(parse('include x.conf\n'), { file })).toEqual([]);
  });
});
