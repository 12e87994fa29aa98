import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { chooseSite, findSites, rewriteSite } from '../../../src/consumers/edit.js';
import { withConsumerParams } from '../../../src/consumers/tls-settings.js';
import { blankComments } from '../../../src/consumers/yaml-values.js';

const move = (text: string, key?: string) =>
  rewriteSite('app.json', text, { ...(key ? { key } : {}), user: 'new', password: 'p"w\\\u007f' });

describe('JSON consumer files through the yaml parser, checked by JSON.parse', () => {
  it('finds keys at any depth and in arrays, by key or by dotted path', () => {
    const text = '{"a": {"b": [{"c": "host=h user=u1"}, {"c": "postgres://u2@h/x"}]}, "c2": 1}\n';
    expect(findSites('app.json', text).map((s) => [s.kind, s.key, s.path, s.user])).toEqual([
      ['keyword', 'c', 'a.b.0.c', 'u1'],
      ['uri', 'c', 'a.b.1.c', 'u2'],
    ]);
    expect(chooseSite('app.json', text, 'a.b.1.c').kind).toBe('uri');
  });

  it.each([
    ['escapes', '{"dsn": "host=h user=u application_name=\\u0041\\/b"}'],
    ['a key JSON escapes', '{"d\\u0073n": "host=h user=u"}'],
    ['CRLF, tabs and a byte order mark', '\uFEFF{\r\n\t"dsn": "host=h user=u",\r\n\t"n": [1, 2]\r\n}\r\n'],
    [
      'comments (JSONC)',
      '{\n  // the database, "dsn": "x"\n  "dsn": /* primary */ "host=h user=u" /* after */,\n  "n": 1 // end\n}\n',
    ],
  ])('%s: only the value changes, written as JSON that JSON.parse reads back', (_, text) => {
    const site = chooseSite('app.json', text);
    const out = move(text);
    expect(out.slice(0, site.start)).toBe(text.slice(0, site.start));
    expect(out.slice(site.start + out.length - text.length + (site.end - site.start))).toBe(text.slice(site.end));
    const value = JSON.parse(blankComments(out).replace(/^\uFEFF/, '')) as { dsn?: string };
    expect(value.dsn).toMatch(/^host=h user=new (application_name=A\/b )?password='p"w\\\\\u007f'$/);
    expect(out.slice(site.start)).toMatch(/^"host=h user=new (application_name=A\/b )?password='p\\"w\\\\\\\\\u007f'"/);
  });

  it('never takes a comment for a value', () => {
    expect(findSites('app.json', '{\n  // "dsn": "host=h user=u"\n  "x": "/* not a comment */"\n}\n')).toEqual([]);
  });

  it('refuses what JSON.parse refuses, with the file and line', () => {
    const bad = '{\n  "dsn": "host=h user=u",\n  "n": 1,\n}\n';
    expect(() => findSites('/srv/app.json', bad)).toThrow(/^Cannot parse "\/srv\/app\.json" line 4 as JSON: /);
    expect(() => withConsumerParams('/srv/app.json', bad, {}, { sslmode: 'require' })).toThrow(InputError);
    expect(() => findSites('/srv/app.json', '{"dsn": "host=h"')).toThrow(/line 1 as JSON/);
  });
});
