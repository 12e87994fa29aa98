import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listIncludeDir } from '../../../src/conf/include-dir.js';
import { loadConf } from '../../../src/conf/load-conf.js';
import { tree } from '../../support/tree.js';

/** [name, file relative to dir] of each setting, and [error, file, line] of each error. */
function summary(dir: string, main = 'main.conf', dataDir?: string) {
  const loaded = loadConf(join(dir, main), { dataDir });
  const rel = (f: string) => f.slice(dir.length);
  return {
    readOk: loaded.readOk,
    settings: loaded.entries.filter((e) => e.name !== null).map((e) => [e.name, rel(e.file), e.line]),
    errors: loaded.entries
      .filter((e) => e.error !== null)
      .map((e) => [e.error!.replaceAll(dir, '<dir>'), rel(e.file), e.line]),
  };
}

describe('loadConf', () => {
  it('follows includes relative to the including file and orders include_dir by bytes', () => {
    const dir = tree({
      'main.conf': "include 'sub/a.conf'\ninclude_dir 'd'\n",
      'sub/a.conf': "include 'b.conf'\n",
      'sub/b.conf': 'x.b = 1\n',
      'd/Z.conf': 'x.z = 1\n',
      'd/a.conf': 'x.a = 1\n',
      'd/_u.conf': 'x.u = 1\n',
      'd/ä.conf': 'x.ae = 1\n',
      'd/10.conf': 'x.ten = 1\n',
      'd/9.conf': 'x.nine = 1\n',
      'd/.h.conf': 'x.h = 1\n',
      'd/n.txt': 'x.n = 1\n',
      'd/n.conf.bak': 'x.bak = 1\n',
    });
    mkdirSync(join(dir, 'd/sub.conf'));
    expect(summary(dir)).toEqual({
      readOk: true,
      settings: [
        ['x.b', '/sub/b.conf', 1],
        ['x.ten', '/d/10.conf', 1],
        ['x.nine', '/d/9.conf', 1],
        ['x.z', '/d/Z.conf', 1],
        ['x.u', '/d/_u.conf', 1],
        ['x.a', '/d/a.conf', 1],
        ['x.ae', '/d/ä.conf', 1],
      ],
      errors: [],
    });
  });

  it('reports a missing include at the including line and skips a missing include_if_exists', () => {
    const dir = tree({ 'main.conf': "include_if_exists 'gone.conf'\ninclude 'gone.conf'\nx.after = 1\n" });
    expect(summary(dir)).toEqual({
      readOk: false,
      settings: [['x.after', '/main.conf', 3]],
      errors: [['could not open file "<dir>/gone.conf"', '/main.conf', 2]],
    });
  });

  it('stops an include loop at the nesting depth limit', () => {
    const dir = tree({ 'main.conf': "x.m = 1\ninclude 'loop.conf'\n", 'loop.conf': "include 'main.conf'\n" });
    const { readOk, settings, errors } = summary(dir);
    expect(readOk).toBe(false);
    // main (depth 0), loop (1), main (2) … main (10), loop (11) is refused at main.conf line 2.
    expect(settings).toHaveLength(6);
    expect(errors).toEqual([['nesting depth exceeded', '/main.conf', 2]]);
  });

  it('reads ten nested levels and refuses the eleventh', () => {
    const chain = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`d${i + 1}.conf`, `x.d${i + 1} = 1\ninclude 'd${i + 2}.conf'\n`]),
      );
    const deep = tree({ 'main.conf': "include 'd1.conf'\n", ...chain(11) });
    expect(summary(deep).errors).toEqual([['nesting depth exceeded', '/d10.conf', 2]]);
    const fits = tree({ 'main.conf': "include 'd1.conf'\n", ...chain(9), 'd10.conf': 'x.d10 = 1\n' });
    expect(summary(fits)).toMatchObject({ readOk: true, errors: [] });
  });

  it('refuses a file including itself and names of only blanks', () => {
    const dir = tree({ 'main.conf': "include 'main.conf'\ninclude ''\ninclude_if_exists ' '\ninclude_dir ''\n" });
    expect(summary(dir).errors).toEqual([
      ['configuration file recursion', '/main.conf', 1],
      ['empty configuration file name', '/main.conf', 2],
      ['empty configuration file name', '/main.conf', 3],
      ['empty configuration directory name', '/main.conf', 4],
    ]);
  });

  it('canonicalises included paths', () => {
    const dir = tree({
      'main.conf': "include_dir 'a//./d/'\ninclude 'a/../a/x.conf'\ninclude 'nowhere/'\n",
      'a/d/1.conf': 'x.one = 1\n',
      'a/x.conf': 'x.x = 1\n',
    });
    expect(summary(dir)).toEqual({
      readOk: false,
      settings: [
        ['x.one', '/a/d/1.conf', 1],
        ['x.x', '/a/x.conf', 1],
      ],
      errors: [['could not open file "<dir>/nowhere"', '/main.conf', 3]],
    });
  });

  it('fails include_dir as a whole on a missing directory or an entry it cannot stat', () => {
    const dir = tree({
      'main.conf': "include_dir 'none'\ninclude_dir 'd'\nx.after = 1\n",
      'd/a.conf': 'x.a = 1\n',
      target: 'x.t = 1\n',
    });
    symlinkSync('/nonexistent/b.conf', join(dir, 'd/b.conf'));
    expect(summary(dir)).toEqual({
      readOk: false,
      settings: [['x.after', '/main.conf', 3]],
      errors: [
        ['could not open directory "<dir>/none"', '/main.conf', 1],
        ['could not stat file "<dir>/d/b.conf"', '/main.conf', 2],
      ],
    });
  });

  it('takes a link to a file in include_dir', () => {
    const dir = tree({ 'main.conf': "include_dir 'd'\n", 'target.txt': 'x.t = 1\n' });
    mkdirSync(join(dir, 'd'));
    symlinkSync('../target.txt', join(dir, 'd/t.conf'));
    expect(listIncludeDir(join(dir, 'd'))).toEqual([join(dir, 'd/t.conf')]);
    expect(summary(dir).settings).toEqual([['x.t', '/d/t.conf', 1]]);
  });

  it('gives up on a file at its first syntax error, as the view does', () => {
    const dir = tree({
      'main.conf': "include 'bad.conf'\nx.after = 1\n",
      'bad.conf': 'x.a = 1\nnot valid here\nx.b = 1\n',
    });
    expect(summary(dir)).toEqual({
      readOk: false,
      settings: [
        ['x.a', '/bad.conf', 1],
        ['x.after', '/main.conf', 2],
      ],
      errors: [['syntax error', '/bad.conf', 2]],
    });
  });

  it('reads postgresql.auto.conf from the data directory last, only if it exists', () => {
    const dir = tree({ 'etc/main.conf': 'x.a = main\n', 'data/postgresql.auto.conf': "x.a = 'auto'\n" });
    expect(summary(dir, 'etc/main.conf', join(dir, 'data')).settings).toEqual([
      ['x.a', '/etc/main.conf', 1],
      ['x.a', '/data/postgresql.auto.conf', 1],
    ]);
    const none = tree({ 'main.conf': 'x.a = 1\n', 'data/.keep': '' });
    expect(summary(none, 'main.conf', join(none, 'data'))).toMatchObject({ readOk: true, errors: [] });
  });

  it('uses the given readers instead of the file system', () => {
    const files: Record<string, string> = {
      '/etc/pg/main.conf': "include 'more.conf'\ninclude_dir 'conf.d'\n",
      '/etc/pg/more.conf': 'x.m = 1\n',
      '/etc/pg/conf.d/1.conf': 'x.one = 1\n',
    };
    const loaded = loadConf('/etc/pg/main.conf', {
      readFile: (p) => (p in files ? { text: files[p]!, encoding: 'utf8' } : undefined),
      listDir: (d) => (d === '/etc/pg/conf.d' ? ['/etc/pg/conf.d/1.conf'] : undefined),
    });
    expect(loaded.entries.map((e) => [e.name, e.file])).toEqual([
      ['x.m', '/etc/pg/more.conf'],
      ['x.one', '/etc/pg/conf.d/1.conf'],
    ]);
    expect([...loaded.files.keys()]).toEqual(['/etc/pg/main.conf', '/etc/pg/more.conf', '/etc/pg/conf.d/1.conf']);
  });

  it('throws when the main file is missing', () => {
    expect(() => loadConf('/nonexistent/postgresql.conf')).toThrow(/could not open file/);
  });

  it.each([
    [14, ['/s/./d/a.conf', '/s/../s/x.conf']],
    [15, ['/s/d/a.conf', '/s/x.conf']],
  ])('names included files as PostgreSQL %s does (inner dots kept before 15)', (major, files) => {
    const dir = tree({
      'main.conf': "include_dir 's//./d/'\ninclude 's/../s/x.conf'\n",
      's/d/a.conf': 'x.a = 1\n',
      's/x.conf': 'x.b = 2\n',
    });
    const loaded = loadConf(join(dir, 'main.conf'), { major });
    expect(loaded.entries.map((e) => e.file.slice(dir.length))).toEqual(files);
  });
});
