import { describe, expect, it } from 'vitest';
import { defaultContext } from '../../../src/conf/context.js';
import { parseHba, renderHba } from '../../../src/conf/hba.js';
import { lexFields } from '../../../src/conf/hba-lexer.js';
import { hbaRows } from '../../../src/conf/hba-rows.js';
import { corpusFiles } from '../../support/corpus.js';

const ctx = defaultContext({ major: 16 });
const file = '/etc/postgresql/pg_hba.conf';
const one = (text: string, c = ctx) => hbaRows(parseHba(text, { file, context: c }), { file, context: c })[0];

describe('lexFields', () => {
  it.each([
    ['host all all 10.0.0.0/8 trust', [['host'], ['all'], ['all'], ['10.0.0.0/8'], ['trust']]],
    ['local db1,db2 a, b trust', [['local'], ['db1', 'db2'], ['a', 'b'], ['trust']]],
    ['local "my db" "all" trust # c', [['local'], ['my db'], ['all'], ['trust']]],
    ['local a"b c"d x', [['local'], ['ab cd'], ['x']]],
    ['local "a""b" x', [['local'], ['a"b'], ['x']]],
    ['local a ,b x', [['local'], ['a'], ['b'], ['x']]],
    ['local a,,b x', [['local'], ['a', 'b'], ['x']]],
    ['local a#b x', [['local'], ['a']]],
    ['\tlocal\t all  all\r', [['local'], ['all'], ['all']]],
    ['local "" x', [['local'], [''], ['x']]],
  ])('%j', (text, expected) => {
    expect(lexFields(text).map((f) => f.map((t) => t.value))).toEqual(expected);
  });

  it('marks a token quoted only when it starts with a quote', () => {
    expect(lexFields('"all" a"ll" all').map((f) => f[0]!.quoted)).toEqual([true, false, false]);
  });
});

describe('parseHba', () => {
  it.each([
    [
      'host all all 10.0.0.0/8 trust',
      { type: 'host', address: '10.0.0.0', netmask: '255.0.0.0', auth_method: 'trust' },
    ],
    ['host all all 127.1 255.255.0.0 md5', { address: '127.0.0.1', netmask: '255.255.0.0' }],
    ['host all all fe80::1:0:0:0/64 md5', { address: 'fe80::1:0:0:0', netmask: 'ffff:ffff:ffff:ffff::' }],
    ['host all all ::ffff:10.1.2.3/128 md5', { address: '::ffff:10.1.2.3' }],
    ['host all all .example.com md5', { address: '.example.com', netmask: null }],
    ['host all all samenet md5', { address: 'samenet' }],
    ['local "all" "+admins" ident', { database: ['all'], user_name: ['+admins'], auth_method: 'peer' }],
    ['hostssl all all 0.0.0.0/0 cert', { options: ['clientcert=verify-full'] }],
    ['local all all peer map=m1', { options: ['map=m1'] }],
    ['host all all all reject', { address: 'all', netmask: null, options: null, error: null }],
  ])('%s', (text, expected) => {
    expect(one(text)).toMatchObject({ error: null, ...expected });
  });

  it.each([
    ['hots all all 0.0.0.0/0 trust', 'invalid connection type "hots"'],
    ['local all', 'end-of-line before role specification'],
    ['host all all', 'end-of-line before IP address specification'],
    ['host all all 10.0.0.0', 'end-of-line before netmask specification'],
    ['host all all 10.0.0.0/33 trust', 'invalid CIDR mask in address "10.0.0.0/33"'],
    ['host all all db.example/24 trust', 'specifying both host name and CIDR mask is invalid: "db.example/24"'],
    ['host all all 10.0.0.0 trust', 'invalid IP mask "trust": Name or service not known'],
    ['host all all 10.0.0.0 ffff:: trust', 'IP address and mask do not match'],
    ['host all all 10.0.0.0/8 md6', 'invalid authentication method "md6"'],
    ['host all all 10.0.0.0/8 peer', 'peer authentication is only supported on local sockets'],
    ['host all all 10.0.0.0/8 cert', 'cert authentication is only supported on hostssl connections'],
    ['host all all 10.0.0.0/8 trust foo', 'authentication option not in name=value format: foo'],
    [
      'host all all 10.0.0.0/8 trust map=x',
      'authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, and cert',
    ],
    ['host all all 10.0.0.0/8 trust clientcert=verify-ca', 'clientcert can only be configured for "hostssl" rows'],
    [
      'host all all 10.0.0.0/8 ldap ldapserver=x',
      'authentication method "ldap" requires argument "ldapbasedn", "ldapprefix", or "ldapsuffix" to be set',
    ],
    [
      'host all all 10.0.0.0/8 radius radiussecrets=s',
      'authentication method "radius" requires argument "radiusservers" to be set',
    ],
    ['host all all 10.0.0.0/8 trust bogus=1', 'unrecognized authentication option name: "bogus"'],
    ['host all,x all 10.0.0.0/8 trust,md5', 'multiple values specified for authentication type'],
  ])('%s → %s', (text, error) => {
    expect(one(text)?.error).toBe(error);
  });

  it('judges hostssl by the server context and still shows the rule', () => {
    const row = one('hostssl all all 0.0.0.0/0 md5', defaultContext({ ssl: false }));
    expect(row).toMatchObject({ type: 'hostssl', error: 'hostssl record cannot match because SSL is disabled' });
  });

  it('knows oauth only from 18 and include directives only from 16', () => {
    expect(one('host all all 0.0.0.0/0 oauth', defaultContext({ major: 17 }))?.error).toBe(
      'invalid authentication method "oauth"',
    );
    expect(parseHba('include other.conf\n', { file, context: ctx })[0]).toMatchObject({
      kind: 'include',
      path: 'other.conf',
    });
    expect(one('include other.conf', defaultContext({ major: 15 }))?.error).toBe('invalid connection type "include"');
  });

  it('joins backslash continuations into one record numbered by its first line', () => {
    const lines = parseHba('# c\nhost all all \\\n  10.0.0.0/8 \\\r\n trust\nlocal all all peer', {
      file,
      context: ctx,
    });
    expect(lines.map((l) => [l.kind, l.line])).toEqual([
      ['comment', 1],
      ['record', 2],
      ['record', 5],
    ]);
  });

  it('expands @file lists relative to the including file', () => {
    const files: Record<string, string> = { '/etc/postgresql/admins': 'alice, bob\n# x\ncarol' };
    const lines = parseHba('local all @admins peer\nlocal all @missing peer\n', {
      file,
      context: ctx,
      readAtFile: (p) => files[p],
    });
    const rows = hbaRows(lines, { file, context: ctx });
    expect(rows[0]?.user_name).toEqual(['alice', 'bob', 'carol']);
    expect(rows[1]?.error).toBe('could not open file "/etc/postgresql/missing": No such file or directory');
  });

  it('points at the offending column on a single line', () => {
    expect(parseHba('host all all 10.0.0.0/8 md6\n', { file, context: ctx })[0]).toMatchObject({
      kind: 'error',
      column: 25,
    });
  });
});

describe('renderHba', () => {
  it.each([
    ['LF', 'local all all peer\n# x\n\nhost all all 0.0.0.0/0 md5\n'],
    ['CRLF', 'local all all peer\r\n# x\r\n\r\n'],
    ['no final newline', 'local all all peer'],
    ['continuation', 'host all all \\\n 10.0.0.0/8 trust'],
    ['non-ASCII', '# Zugriff für alle\nlocal ümlaut all peer\n'],
    ['empty', ''],
  ])('round-trips %s byte for byte', (_, text) => {
    expect(renderHba(parseHba(text, { file, context: ctx }))).toBe(text);
  });

  it.each(corpusFiles('hba'))('round-trips corpus $name', ({ bytes }) => {
    const text = bytes.toString('latin1');
    expect(renderHba(parseHba(text, { file, context: ctx }))).toBe(text);
  });
});
