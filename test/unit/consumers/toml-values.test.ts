import { parseTOML, getStaticTOMLValue } from 'toml-eslint-parser';
import { describe, expect, it } from 'vitest';
import { chooseSite, findSites, rewriteSite } from '../../../src/consumers/edit.js';
import { encodeValue, stringValues } from '../../../src/consumers/structured.js';

/** What a TOML reader sees in a text. */
const read = (text: string) => getStaticTOMLValue(parseTOML(text.replace(/^\uFEFF/, ''))) as Record<string, unknown>;
const at = (doc: unknown, path: string) =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], doc);
const move = (text: string, key?: string) =>
  rewriteSite('app.toml', text, { ...(key ? { key } : {}), user: 'new', password: 'p\'w"\\' });

describe('TOML consumer files through a TOML parser', () => {
  it('finds keys in tables, dotted keys, arrays of tables, inline tables and arrays', () => {
    const text = [
      '# app',
      'top = "host=t user=u0"',
      '[db.primary]',
      'dsn = "host=a user=u1"',
      "replica.dsn = 'host=b user=u2'",
      '[[pools]]',
      'conn = { url = "postgres://u3@h/x" }',
      '[[pools]]',
      '"quoted key" = ["host=c user=u4"]',
      '',
    ].join('\n');
    expect(findSites('app.toml', text).map((s) => [s.kind, s.key, s.path, s.line, s.user])).toEqual([
      ['keyword', 'top', 'top', 2, 'u0'],
      ['keyword', 'dsn', 'db.primary.dsn', 4, 'u1'],
      ['keyword', 'dsn', 'db.primary.replica.dsn', 5, 'u2'],
      ['uri', 'url', 'pools.0.conn.url', 7, 'u3'],
      ['keyword', 'quoted key', 'pools.1.quoted key.0', 9, 'u4'],
    ]);
    const out = move(text, 'db.primary.replica.dsn');
    expect(at(read(out), 'db.primary.replica.dsn')).toBe(`host=b user=new password='p\\'w"\\\\'`);
    expect(out.replace(/replica\.dsn = .*\n/, '')).toBe(text.replace(/replica\.dsn = .*\n/, ''));
  });

  it.each([
    ['basic, with escapes', '[db]\ndsn = "host=h\\tuser=u application_name=\\U0001F600"  # c\n'],
    ['literal', "[db]\ndsn = 'host=h user=u'  # c\n"],
    ['multi-line basic', '[db]\ndsn = """\nhost=h \\\n   user=u"""\nnext = 1\n'],
    ['multi-line literal', "[db]\ndsn = '''host=h user=u'''\n"],
    ['CRLF and a byte order mark', '\uFEFF[db]\r\ndsn = "host=h user=u"\r\n# end\r\n'],
  ])('%s: the new value reads back through the TOML parser, every other byte kept', (_, text) => {
    const site = chooseSite('app.toml', text);
    const out = move(text);
    expect(out.slice(0, site.start)).toBe(text.slice(0, site.start));
    expect(out.slice(out.length - (text.length - site.end))).toBe(text.slice(site.end));
    const value = at(read(out), 'db.dsn') as string;
    expect(value).toMatch(/^host=h\s+user=new (application_name=\u{1F600} )?password='p\\'w"\\\\'$/u);
    expect(findSites('app.toml', out)[0]?.text).toBe(value);
  });

  it('escapes what a TOML basic string cannot hold raw', () => {
    expect(encodeValue('a\u007fb\n', 'toml-basic')).toBe('"a\\u007Fb\\n"');
    expect(encodeValue('a\u007fb', 'toml-literal')).toBe('"a\\u007Fb"');
    expect(encodeValue('x', 'toml-literal-multi')).toBe("'x'");
  });

  it('ignores connection strings in comments and keys', () => {
    expect(stringValues('# dsn = "host=h user=u"\n"postgres://k@h/x" = 1\n', 'toml')).toEqual([]);
  });

  it('refuses a file the parser refuses, with the file and line', () => {
    expect(() => findSites('/etc/app.toml', '[db]\ndsn = "host=h"\ndsn = "host=i"\n')).toThrow(
      'Cannot parse "/etc/app.toml" line 3 as TOML: Defining a key multiple times is invalid',
    );
    expect(() => findSites('/etc/app.toml', 'a = "host=h\nb = 1\n')).toThrow(/line 1 as TOML/);
  });
});
