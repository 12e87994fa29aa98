import { describe, expect, it } from 'vitest';
import { chooseSite, ConsumerFileError, findUris, rewriteUri, uriParts } from '../../../src/plan/consumer-edit.js';

describe('interim consumer-file editing', () => {
  it.each([
    ['DATABASE_URL=postgres://app@db:5432/shop\n', 'DATABASE_URL=postgres://new:pw@db:5432/shop\n'],
    ['export DATABASE_URL="postgresql://old:secret@db/shop?sslmode=require"\r\n', 'export DATABASE_URL="postgresql://new:pw@db/shop?sslmode=require"\r\n'],
    ['db:\n  url: \'postgres://db:5432/shop\'  # primary\n', 'db:\n  url: \'postgres://new:pw@db:5432/shop\'  # primary\n'],
    ['{"database": {"url": "postgres://a%40b@h/x"}, "n": 1}', '{"database": {"url": "postgres://new:pw@h/x"}, "n": 1}'],
  ])('rewrites only the user and password in %j', (before, after) => {
    expect(rewriteUri('f', before, { user: 'new', password: 'pw' })).toBe(after);
  });

  it('percent-encodes what a URI cannot hold as it is', () => {
    expect(rewriteUri('f', 'U=postgres://h/x\n', { user: 'a b', password: 'p@:/?#%' })).toBe('U=postgres://a%20b:p%40%3A%2F%3F%23%25@h/x\n');
  });

  it('reads the old user and database, percent-decoded', () => {
    expect(uriParts('postgres://a%40b:pw@h:5/my%20db?x=1')).toEqual({ user: 'a@b', database: 'my db' });
    expect(uriParts('postgres://h/')).toEqual({ user: null, database: null });
  });

  it('names the key of each site and asks for one when a file has several', () => {
    const text = 'A_URL=postgres://a@h/x\n# note\nB_URL=postgres://b@h/y\n';
    expect(findUris(text).map((s) => [s.key, s.line])).toEqual([['A_URL', 1], ['B_URL', 3]]);
    expect(() => chooseSite('app.env', text)).toThrow('"app.env" has 2 connection strings (line 1 A_URL, line 3 B_URL); set "key" in the spec to one of them');
    expect(rewriteUri('app.env', text, { key: 'B_URL', user: 'n', password: 'p' })).toBe('A_URL=postgres://a@h/x\n# note\nB_URL=postgres://n:p@h/y\n');
    expect(() => chooseSite('app.env', 'X=1\n')).toThrow(ConsumerFileError);
  });
});
