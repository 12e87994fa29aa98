import { describe, expect, it } from 'vitest';
import { chooseSite, findSites, rewriteSite } from '../../../src/consumers/edit.js';
import { dialectOf, encodeValue, stringValues } from '../../../src/consumers/structured.js';

const move = (file: string, before: string, key?: string) =>
  rewriteSite(file, before, { ...(key ? { key } : {}), user: 'new', password: 'pw' });

describe('keyword/value DSNs in JSON, YAML and TOML string values', () => {
  it.each([
    // JSON, on one line, found with or without the key; escapes read and written as JSON.
    [
      'c.json',
      '{"db": {"connectionString": "host=/var/run/postgresql user=postgres dbname=app"}}',
      '{"db": {"connectionString": "host=/var/run/postgresql user=new dbname=app password=pw"}}',
    ],
    [
      'c.json',
      '{\n  "dsn": "host=h user=u application_name=\'it\\\\\'s\' x=\\"q\\""\n}\n',
      '{\n  "dsn": "host=h user=new application_name=\'it\\\\\'s\' x=\\"q\\" password=pw"\n}\n',
    ],
    // YAML: plain, single-quoted ('' is a quote), double-quoted (\" is a quote).
    [
      'c.yaml',
      'db:\n  dsn: host=h user=u dbname=d  # prod\n',
      'db:\n  dsn: host=h user=new dbname=d password=pw  # prod\n',
    ],
    [
      'c.yml',
      "db:\n  dsn: 'host=h user=u application_name=''x'''\n",
      "db:\n  dsn: 'host=h user=new application_name=''x'' password=pw'\n",
    ],
    [
      'c.yaml',
      'db:\n  dsn: "host=h user=u application_name=\\"y\\""\r\n',
      'db:\n  dsn: "host=h user=new application_name=\\"y\\" password=pw"\r\n',
    ],
    // TOML: basic (escapes) and literal strings.
    [
      'c.toml',
      '[database]\ndsn = "host=h user=u x=\\"t\\""\n',
      '[database]\ndsn = "host=h user=new x=\\"t\\" password=pw"\n',
    ],
    ['c.toml', "[database]\ndsn = 'host=h user=u'\n", "[database]\ndsn = 'host=h user=new password=pw'\n"],
  ])('%s: %j', (file, before, after) => {
    expect(move(file, before)).toBe(after);
  });

  it("reads the value as the file's parser does", () => {
    const text = '{"a": "host=h user=u application_name=\'it\\\\\'s\'"}';
    const [site] = findSites('x.json', text);
    expect(site).toMatchObject({
      kind: 'keyword',
      key: 'a',
      user: 'u',
      text: "host=h user=u application_name='it\\'s'",
    });
    expect(JSON.parse(move('x.json', text)).a).toBe("host=h user=new application_name='it\\'s' password=pw");
    expect(chooseSite('x.json', '{"connectionString": "host=h user=u", "other": 1}', 'connectionString').key).toBe(
      'connectionString',
    );
  });

  it('quotes what a plain YAML scalar or a TOML literal cannot hold', () => {
    expect(encodeValue('a: b', 'yaml-plain')).toBe('"a: b"');
    expect(encodeValue('host=h', 'yaml-plain')).toBe('host=h');
    expect(encodeValue("it's", 'toml-literal')).toBe('"it\'s"');
    expect(encodeValue('a"b\\c', 'json')).toBe('"a\\"b\\\\c"');
  });

  it("takes the dialect from the spec's format, else the extension", () => {
    expect(dialectOf('/etc/app/settings', 'json')).toBe('json');
    expect(dialectOf('/etc/app/app.YAML')).toBe('yaml');
    expect(dialectOf('/etc/app/app.toml', 'text')).toBe('toml');
    expect(dialectOf('/etc/app/app.env')).toBeUndefined();
    expect(dialectOf('/etc/app/app.json', 'env')).toBeUndefined();
    expect(stringValues('a:\n  - b: |\n    host=h\n', 'yaml')).toEqual([]);
  });
});
