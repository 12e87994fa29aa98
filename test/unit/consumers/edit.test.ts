import { describe, expect, it } from 'vitest';
import {
  chooseSite,
  ConsumerFileError,
  findSites,
  rewriteSite,
  siteConfig,
  uriParts,
} from '../../../src/consumers/edit.js';
import { parseKeywordDsn } from '../../../src/consumers/keyword-dsn.js';

const move = (file: string, text: string, key?: string) =>
  rewriteSite(file, text, { ...(key ? { key } : {}), user: 'new', password: 'pw' });

describe('consumer files: connection URIs', () => {
  it.each([
    ['app.env', 'DATABASE_URL=postgres://app@db:5432/shop\n', 'DATABASE_URL=postgres://new:pw@db:5432/shop\n'],
    [
      'app.env',
      'export DATABASE_URL="postgresql://old:secret@db/shop?sslmode=require"\r\n',
      'export DATABASE_URL="postgresql://new:pw@db/shop?sslmode=require"\r\n',
    ],
    [
      'c.yaml',
      "db:\n  url: 'postgres://db:5432/shop'  # primary\n",
      "db:\n  url: 'postgres://new:pw@db:5432/shop'  # primary\n",
    ],
    [
      'c.json',
      '{"database": {"url": "postgres://a%40b@h/x"}, "n": 1}',
      '{"database": {"url": "postgres://new:pw@h/x"}, "n": 1}',
    ],
    [
      'app.service',
      '[Service]\nEnvironment="DATABASE_URL=postgres://app@db/shop" "MODE=prod"\n',
      '[Service]\nEnvironment="DATABASE_URL=postgres://new:pw@db/shop" "MODE=prod"\n',
    ],
  ])('%s: only the user and password change in %j', (file, before, after) => {
    expect(move(file, before)).toBe(after);
  });

  it('percent-encodes what a URI cannot hold as it is, and reads it back', () => {
    const out = rewriteSite('f.env', 'U=postgres://h/x\n', { user: 'a b', password: 'p@:/?#%' });
    expect(out).toBe('U=postgres://a%20b:p%40%3A%2F%3F%23%25@h/x\n');
    expect(uriParts('postgres://a%40b:pw@h:5/my%20db?x=1')).toEqual({ user: 'a@b', database: 'my db' });
  });

  it('names the key of each site and asks for one when a file has several', () => {
    const text = 'A_URL=postgres://a@h/x\n# note\nB_URL=postgres://b@h/y\n';
    expect(findSites('app.env', text).map((s) => [s.key, s.line, s.user])).toEqual([
      ['A_URL', 1, 'a'],
      ['B_URL', 3, 'b'],
    ]);
    expect(() => chooseSite('app.env', text)).toThrow(
      '"app.env" has 2 connection strings (line 1 A_URL, line 3 B_URL); set "key" in the spec to one of them',
    );
    expect(move('app.env', text, 'B_URL')).toBe('A_URL=postgres://a@h/x\n# note\nB_URL=postgres://new:pw@h/y\n');
    expect(() => chooseSite('app.env', 'X=1\n')).toThrow(ConsumerFileError);
  });
});

describe('consumer files: libpq keyword/value strings', () => {
  it.each([
    [
      'app.env',
      "PG_DSN='host=db port=5432 dbname=shop user=app'\n",
      "PG_DSN='host=db port=5432 dbname=shop user=new password=pw'\n",
    ],
    [
      'app.ini',
      '[db]\ndsn = host=db dbname=shop user = app password=old  # prod\n',
      '[db]\ndsn = host=db dbname=shop user=new password=pw  # prod\n',
    ],
    ['c.yaml', 'db:\n  dsn: "host=db dbname=shop"\n', 'db:\n  dsn: "host=db dbname=shop user=new password=pw"\n'],
    [
      'c.toml',
      '[database]\ndsn = "dbname=shop user=app sslmode=require"\r\n',
      '[database]\ndsn = "dbname=shop user=new sslmode=require password=pw"\r\n',
    ],
  ])('%s: %j', (file, before, after) => {
    expect(move(file, before)).toBe(after);
  });

  it('reads values as libpq does: quotes, escapes, blanks around =', () => {
    expect(
      parseKeywordDsn("host = db password='it\\'s a \\\\secret' user=a\\ b")?.map((t) => [t.key, t.value]),
    ).toEqual([
      ['host', 'db'],
      ['password', "it's a \\secret"],
      ['user', 'a b'],
    ]);
    expect(parseKeywordDsn('just text')).toBeUndefined();
    expect(findSites('x.env', 'MODE=a=b\nNAME=value\n')).toEqual([]);
    expect(rewriteSite('x.env', 'D=host=h user=u\n', { user: 'n', password: "it's" })).toBe(
      "D=host=h user=n password='it\\'s'\n",
    );
    expect(
      siteConfig(findSites('x.env', 'D=host=h port=6 dbname=d user=u password=p\n')[0]!, { host: 'z', port: 1 }),
    ).toEqual({ host: 'h', port: 6, database: 'd', user: 'u', password: 'p' });
  });
});

describe('consumer files: .pgpass and pg_service.conf', () => {
  it('rewrites the user and password of one .pgpass line, escapes kept', () => {
    const text = '# comment\ndb:5432:shop:app:old\\:pw\n*:*:*:report:x\r\n';
    expect(findSites('/home/a/.pgpass', text).map((s) => [s.key, s.user])).toEqual([
      ['db:5432:shop', 'app'],
      ['*:*:*', 'report'],
    ]);
    expect(rewriteSite('/home/a/.pgpass', text, { key: 'db:5432:shop', user: 'new', password: 'p:w' })).toBe(
      '# comment\ndb:5432:shop:new:p\\:w\n*:*:*:report:x\r\n',
    );
    expect(siteConfig(findSites('.pgpass', text)[0]!, { host: 'z', port: 1 })).toEqual({
      host: 'db',
      port: 5432,
      database: 'shop',
      user: 'app',
      password: 'old:pw',
    });
  });

  it('rewrites user= and adds password= in one service section', () => {
    const text = '[shop]\nhost=db\nuser=app\ndbname=shop\n\n[other]\nuser=x\n';
    expect(rewriteSite('pg_service.conf', text, { key: 'shop', user: 'new', password: 'pw' })).toBe(
      '[shop]\nhost=db\nuser=new\npassword=pw\ndbname=shop\n\n[other]\nuser=x\n',
    );
    expect(
      rewriteSite('pg_service.conf', '[a]\r\nuser = u\r\npassword = old\r\n', { key: 'a', user: 'n', password: 'p' }),
    ).toBe('[a]\r\nuser = n\r\npassword = p\r\n');
  });

  it('takes the format from the spec when the name does not tell', () => {
    expect(
      rewriteSite('/etc/app/db-credentials', 'h:5432:shop:app:x\n', {
        format: 'pgpass',
        key: 'h:5432:shop',
        user: 'new',
        password: 'pw',
      }),
    ).toBe('h:5432:shop:new:pw\n');
    expect(
      findSites('/etc/app/services.ini', '[s]\nuser=u\n', 'pg_service').map((x) => [x.kind, x.key, x.user]),
    ).toEqual([['service', 's', 'u']]);
    expect(findSites('.pgpass', 'DATABASE_URL=postgres://a@h/x\n', 'env').map((x) => x.kind)).toEqual(['uri']);
  });
});
