import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tree } from '../../support/tree.js';
import { defaultContext } from '../../../src/conf/context.js';
import { loadHba, loadHbaRows, readConfigFile } from '../../../src/conf/load-hba.js';

describe('loadHba', () => {
  const context = defaultContext({ major: 16 });

  it('follows include, include_if_exists and include_dir in PostgreSQL order, with file names', () => {
    const dir = tree({
      'pg_hba.conf':
        'local all all peer\ninclude sub/one.conf\ninclude_if_exists sub/gone.conf\ninclude_dir conf.d\nhost all all all reject\n',
      'sub/one.conf': 'host all @../users all md5\n',
      users: 'alice,bob\n',
      'conf.d/B.conf': 'host all b all trust\n',
      'conf.d/a.conf': 'host all a all trust\n',
      'conf.d/.skip.conf': 'host all skip all trust\n',
      'conf.d/skip.txt': 'host all skip all trust\n',
    });
    const loaded = loadHba(join(dir, 'pg_hba.conf'), { context });
    expect(loaded.rows.map((r) => [r.file.slice(dir.length), r.line_number, r.user_name, r.error])).toEqual([
      ['/pg_hba.conf', 1, ['all'], null],
      ['/sub/one.conf', 1, ['alice', 'bob'], null],
      ['/conf.d/B.conf', 1, ['b'], null],
      ['/conf.d/a.conf', 1, ['a'], null],
      ['/pg_hba.conf', 5, ['all'], null],
    ]);
    expect(loaded.rules.map((r) => r.line)).toEqual([1, 1, 1, 1, 5]);
    expect([...loaded.files.keys()].map((f) => f.slice(dir.length))).toEqual([
      '/pg_hba.conf',
      '/sub/one.conf',
      '/conf.d/B.conf',
      '/conf.d/a.conf',
    ]);
  });

  it('reports a missing include and directory at the including line, and stops a loop at the depth limit', () => {
    const dir = tree({
      'pg_hba.conf': 'include nope.conf\ninclude_dir nodir\ninclude loop.conf\n',
      'loop.conf': 'include loop.conf\n',
    });
    const rows = loadHba(join(dir, 'pg_hba.conf'), { context }).rows;
    expect(rows[0]).toMatchObject({
      line_number: 1,
      error: `could not open file "${dir}/nope.conf": No such file or directory`,
    });
    expect(rows[1]).toMatchObject({ line_number: 2, error: `could not open directory "${dir}/nodir"` });
    expect(rows[2]).toMatchObject({
      file: `${dir}/loop.conf`,
      error: `could not open file "${dir}/loop.conf": maximum nesting depth exceeded`,
    });
  });

  it('throws for a missing top file, naming it', () => {
    expect(() => loadHba('/nonexistent/pg_hba.conf', { context })).toThrow(
      'could not open file "/nonexistent/pg_hba.conf"',
    );
  });

  it('keeps a file that is not UTF-8 byte for byte', () => {
    const dir = tree({ 'pg_hba.conf': Buffer.from([0x23, 0x20, 0xe9, 0x0a]) });
    expect(readConfigFile(join(dir, 'pg_hba.conf'))).toEqual({ text: '# \u00e9\n', encoding: 'latin1' });
  });

  it('uses injected readers, so nothing touches the disk', () => {
    const files: Record<string, string> = {
      '/x/pg_hba.conf': 'include a.conf\n',
      '/x/a.conf': 'local all all trust\n',
    };
    const loaded = loadHba('/x/pg_hba.conf', {
      context,
      readFile: (p) => (p in files ? { text: files[p]!, encoding: 'utf8' } : undefined),
    });
    expect(loaded.rows).toHaveLength(1);
  });

  it("loadHbaRows gives loadHba's rows, and the column of each error line, keeping no lines", () => {
    const dir = tree({
      'pg_hba.conf':
        'local all all peer\ninclude sub/one.conf\nhost all all 10.0.0.0/33 md5\ninclude_dir conf.d\nhost all all all reject\n',
      'sub/one.conf': 'host all @../users all md5\nhostssl all all ::1/128 cert\nfoo\ninclude one.conf\n',
      users: 'alice,bob\n',
      'conf.d/a.conf': 'host all a all trust bad\n  host all a all \\\n md6\n',
    });
    const file = join(dir, 'pg_hba.conf');
    const loaded = loadHba(file, { context: defaultContext({ major: 16, ssl: false }) });
    const columns = new Map<string, number>();
    for (const [f, { lines }] of loaded.files)
      for (const l of lines) if (l.kind === 'error' && l.column) columns.set(`${f}:${l.line}`, l.column);
    const { rows, columns: got } = loadHbaRows(file, { context: defaultContext({ major: 16, ssl: false }) });
    expect(rows).toEqual(loaded.rows);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(columns));
    expect(got.size).toBeGreaterThan(2);
    expect(rows.length).toBeGreaterThan(15);
  });
});
