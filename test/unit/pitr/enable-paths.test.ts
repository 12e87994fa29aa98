import { describe, expect, it } from 'vitest';
import { pitrDrill } from '../../../src/pitr/drill-run.js';
import { pathProblems, stanzaProblems } from '../../../src/pitr/enable-paths.js';

describe("pitr enable's path options, each checked the same way", () => {
  it.each(['--repo', '--config', '--log-path'])('%s', (flag) => {
    expect(pathProblems(flag, '/var/lib/pgbackrest')).toEqual([]);
    expect(pathProblems(flag, 'relative/dir')).toEqual([`${flag} "relative/dir" is not an absolute path`]);
    expect(pathProblems(flag, '/var/lib/postgresql/15/main/../x')).toEqual([
      `${flag} "/var/lib/postgresql/15/main/../x" has a ".." in it: give the directory itself`,
    ]);
    expect(pathProblems(flag, "/tmp/o'brien")).toEqual([`${flag} "/tmp/o'brien" holds a quote or a backslash`]);
    expect(pathProblems(flag, '/tmp/a\nrepo1-host=evil')[0]).toMatch(/holds a control character/);
    expect(pathProblems(flag, '/tmp/a b')).toEqual([
      `${flag} "/tmp/a b" holds characters other than letters, digits and ._-/@+`,
    ]);
    expect(pathProblems(flag, '../x')).toHaveLength(2);
  });

  it.each(['15-main', 'pg15-5432', 'drill', 'a.b'])('a plain stanza %s', (s) => {
    expect(stanzaProblems(s)).toEqual([]);
  });
  it.each(['../../etc', 'a/b', '..', '', '-x', 'a..b', 'a b'])('not a stanza: %j', (s) => {
    expect(stanzaProblems(s)).toHaveLength(1);
  });
});

describe('pitr drill --scratch-dir, checked by the same function', () => {
  it.each(['scratch', '/var/tmp/../tmp', "/tmp/o'x"])('refuses %j before connecting (exit 2)', async (dir) => {
    await expect(
      pitrDrill({ connection: { dsn: 'host=/nonexistent' }, scratchParent: dir, log: () => undefined }),
    ).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(`--scratch-dir ${JSON.stringify(dir)}`) });
  });
});
