import { describe, expect, it } from 'vitest';
import { formatConninfo, parseConninfo } from '../../../src/connect/conninfo.js';
import { passwordFromFile, serviceSection } from '../../../src/connect/libpq-resolve.js';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('parseConninfo: libpq URIs', () => {
  it.each([
    [
      'postgres://postgres@/postgres?host=/var/run/postgresql',
      { user: 'postgres', dbname: 'postgres', host: '/var/run/postgresql' },
    ],
    ['postgresql://postgres@:5433/db?host=/sock', { user: 'postgres', port: '5433', dbname: 'db', host: '/sock' }],
    ['postgresql://%2Fvar%2Frun%2Fpostgresql/db', { host: '/var/run/postgresql', dbname: 'db' }],
    ['postgresql://[::1]:5433/db', { host: '::1', port: '5433', dbname: 'db' }],
    [
      'postgresql://u:p%40ss@h/d?sslmode=require&connect_timeout=5',
      { user: 'u', password: 'p@ss', host: 'h', dbname: 'd', sslmode: 'require', connect_timeout: '5' },
    ],
    ['postgresql://h?ssl=true', { host: 'h', sslmode: 'require' }],
    ['postgresql://', {}],
    ['postgresql:///mydb', { dbname: 'mydb' }],
    ['postgresql://h1:1,h2:2/d', { host: 'h1,h2', port: '1,2', dbname: 'd' }],
    ['postgresql://caf%C3%A9@h/d', { user: 'café', host: 'h', dbname: 'd' }],
  ])('%s', (uri, want) => expect(parseConninfo(uri)).toEqual(want));

  it.each([
    ['postgresql://[::1/db', /matching "\]"/],
    ['postgresql://h/d?nope=1', /invalid URI query parameter: "nope"/],
    ['postgresql://h/d?a', /missing key\/value separator/],
    ['postgresql://h/d?host=a=b', /extra key\/value separator/],
    ['postgresql://h/%zz', /invalid percent-encoded token/],
    ['postgresql://h/%00', /forbidden value %00/],
  ])('refuses %s as libpq does', (uri, message) => expect(() => parseConninfo(uri)).toThrow(message));
});

describe('parseConninfo: keyword/value strings', () => {
  it.each([
    [
      'host=/var/run/postgresql port=5433 user=postgres',
      { host: '/var/run/postgresql', port: '5433', user: 'postgres' },
    ],
    ["  host = 'a b'  password='it\\'s' dbname=x\\ y ", { host: 'a b', password: "it's", dbname: 'x y' }],
    ["password=''", { password: '' }],
    ['service=shop dbname=other', { service: 'shop', dbname: 'other' }],
    ['mydb', { dbname: 'mydb' }],
  ])('%s', (text, want) => expect(parseConninfo(text)).toEqual(want));

  it.each([
    ['host user=x', /missing "=" after "host"/],
    ["host='open", /unterminated quoted string/],
    ['hots=x', /invalid connection option "hots"/],
  ])('refuses %s as libpq does', (text, message) => expect(() => parseConninfo(text)).toThrow(message));

  it('round-trips through the keyword/value form, quoting what needs it', () => {
    const params = { host: '/run/pg', user: "o'neil", password: 'a b\\c', dbname: '' };
    expect(formatConninfo(params)).toBe("host=/run/pg user='o\\'neil' password='a b\\\\c' dbname=''");
    expect(parseConninfo(formatConninfo(params))).toEqual(params);
  });
});

describe('service files and password files', () => {
  it('reads a service section; later sections and other services are ignored; unknown keys are a syntax error', () => {
    const text = '# comment\n[a]\nhost=/x\nport = 5\n[b]\nhost=/y\n[a]\nuser=u\n';
    expect(serviceSection(text, 'a', 'f')).toEqual({ host: '/x', port: '5', user: 'u' });
    expect(serviceSection(text, 'c', 'f')).toBeUndefined();
    expect(() => serviceSection('[a]\nbogus=1\n', 'a', 'f')).toThrow('syntax error in service file "f", line 2');
  });

  it('takes a password from a 0600 file with wildcards and escapes, ignores a file others can read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgpass-'));
    try {
      const f = join(dir, 'pgpass');
      writeFileSync(f, '# c\nother:*:*:*:no\n*:5432:shop:al\\:ice:se\\:cret:tail\nlocalhost:*:*:bob:b\n', {
        mode: 0o600,
      });
      const p = { host: 'db', port: '5432', dbname: 'shop', user: 'al:ice' };
      expect(passwordFromFile(f, p)).toBe('se:cret');
      expect(passwordFromFile(f, { ...p, host: '/var/run/postgresql', user: 'bob' })).toBe('b');
      expect(passwordFromFile(f, { ...p, host: '/tmp', user: 'bob' })).toBeUndefined();
      chmodSync(f, 0o640);
      expect(passwordFromFile(f, p)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
