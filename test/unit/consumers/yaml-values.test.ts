import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { InputError, RefusedError } from '../../../src/core/errors.js';
import { chooseSite, findSites, rewriteSite } from '../../../src/consumers/edit.js';
import { withConsumerParams } from '../../../src/consumers/tls-settings.js';
import { replaceValue, stringValues } from '../../../src/consumers/structured.js';

const move = (file: string, text: string, key?: string) =>
  rewriteSite(file, text, { ...(key ? { key } : {}), user: 'new', password: 'p\'w #: "x"' });

/** The value at a dotted path of a parsed document. */
const at = (doc: unknown, path: string) =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], doc);

describe('YAML consumer files through the yaml parser', () => {
  it('finds keys at any depth, in sequences and in every document of a stream', () => {
    const text = [
      '# settings',
      'services:',
      '  api:',
      '    database:',
      '      primary: {dsn: "host=a user=u1"}',
      '  workers:',
      '    - name: w',
      '      dsn: host=b user=u2',
      '---',
      'other: postgres://u3@c/x',
      '',
    ].join('\n');
    expect(findSites('c.yaml', text).map((s) => [s.kind, s.key, s.path, s.line, s.user])).toEqual([
      ['keyword', 'dsn', 'services.api.database.primary.dsn', 5, 'u1'],
      ['keyword', 'dsn', 'services.workers.0.dsn', 8, 'u2'],
      ['uri', 'other', 'other', 10, 'u3'],
    ]);
    expect(() => chooseSite('c.yaml', text, 'dsn')).toThrow(
      '"c.yaml" has 2 connection strings (line 5 services.api.database.primary.dsn, line 8 services.workers.0.dsn)',
    );
    const out = move('c.yaml', text, 'services.workers.0.dsn');
    expect(out).toBe(text.replace('dsn: host=b user=u2', `dsn: "host=b user=new password='p\\\\'w #: \\"x\\"'"`));
  });

  it.each([
    ['plain', 'db:\n  dsn: host=h user=u   # primary, keep this\n'],
    ['single', "db:\n  dsn: 'host=h user=u application_name=''a b'''  # c\n"],
    ['double', 'db:\n  dsn: "host=h\\tuser=u"  # c\n'],
    ['flow', 'db: { dsn: host=h user=u, other: 1 }  # c\n'],
    ['folded over two lines', 'db:\n  dsn: "host=h\n    user=u"\n  after: 1\n'],
    ['anchored and tagged', 'db:\n  dsn: &d !!str host=h user=u\n'],
    ['CRLF and a byte order mark', '\uFEFFdb:\r\n  dsn: host=h user=u\r\n# end\r\n'],
  ])('%s: the new value reads back through yaml, every other byte kept', (_, text) => {
    const site = chooseSite('c.yaml', text);
    const out = move('c.yaml', text);
    expect(out.slice(0, site.start)).toBe(text.slice(0, site.start));
    expect(out.slice(out.length - (text.length - site.end))).toBe(text.slice(site.end));
    const read = at(parseYaml(out.replace(/^\uFEFF/, '')), 'db.dsn') as string;
    expect(read).toMatch(/^host=h\s+user=new /);
    expect(findSites('c.yaml', out)[0]?.text).toBe(read);
  });

  it('writes a URI that is part of a value back inside it', () => {
    const text = 'job:\n  command: "psql postgres://old@h/x -c \'select 1\'"\n';
    const out = rewriteSite('c.yaml', text, { user: 'n', password: 'p' });
    expect(parseYaml(out).job.command).toBe("psql postgres://n:p@h/x -c 'select 1'");
  });

  it('reports an alias of a DSN on the DSN itself, once, and finds it by the alias key', () => {
    const text = 'base: &db host=h user=u\napp:\n  dsn: *db\nmerged:\n  <<: {x: *db}\n';
    const sites = findSites('c.yaml', text);
    expect(sites).toHaveLength(1);
    expect(sites[0]).toMatchObject({
      path: 'base',
      line: 1,
      aliases: [
        { path: 'app.dsn', line: 3 },
        { path: 'merged.x', line: 5 },
      ],
    });
    expect(chooseSite('c.yaml', text, 'app.dsn').line).toBe(1);
    expect(() => chooseSite('c.yaml', `${text}two: host=h2\n`)).toThrow(
      'line 1 base (also app.dsn, line 3, an alias) (also merged.x, line 5, an alias), line 6 two',
    );
  });

  it('ignores connection strings in comments and keys', () => {
    expect(findSites('c.yaml', '# postgres://old@h/x\na: 1  # host=h user=u\n"postgres://k@h/x": 2\n')).toEqual([]);
  });

  it('refuses to rewrite a block scalar, naming the file, line and what to do', () => {
    const text = 'db:\n  dsn: |\n    host=h user=u\nnext: 1\n';
    expect(findSites('c.yaml', text)).toMatchObject([{ kind: 'keyword', line: 2, quoting: 'yaml-block' }]);
    expect(() => move('c.yaml', text)).toThrow(
      '"c.yaml" line 2: the connection string under "dsn" is a YAML block scalar (| or >), which pgharden does not rewrite',
    );
    expect(() => withConsumerParams('c.yaml', text, {}, { sslmode: 'require' })).toThrow(InputError);
  });

  it('refuses a file the parser refuses, with the file and line', () => {
    const bad = 'db:\n  dsn: host=h\nc: d: e\n';
    expect(() => findSites('/etc/app/c.yaml', bad)).toThrow(/^Cannot parse "\/etc\/app\/c\.yaml" line 3 as YAML: /);
    expect(() => stringValues(bad, 'yaml', 'f.yml')).toThrow(InputError);
  });

  it('quotes a plain value in a flow mapping that a comma or bracket would split', () => {
    const text = 'db: {dsn: host=h user=u, n: 1}\n';
    const out = withConsumerParams('c.yaml', text, {}, { sslrootcert: '/etc/a,b[1].crt' });
    expect(out).toBe('db: {dsn: "host=h user=u sslrootcert=/etc/a,b[1].crt", n: 1}\n');
    expect(parseYaml(out).db.n).toBe(1);
  });

  it('refuses, and writes nothing, when the parser would not read the new value back', () => {
    const at = { start: 0, end: 1, line: 1, key: 'a', quoting: 'yaml-plain' as const };
    expect(() => replaceValue('c.yaml', 'a: b\n', at, 'x')).toThrow(RefusedError);
    expect(() => replaceValue('c.yaml', 'a: b\n', at, 'x')).toThrow(
      '"c.yaml" line 1: the new value under "a" would not read back as written; nothing was changed',
    );
    expect(replaceValue('c.yaml', 'a: b\n', { ...at, start: 3, end: 4 }, 'x, y')).toBe('a: "x, y"\n');
  });
});
