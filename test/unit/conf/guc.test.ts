import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tree } from '../../helpers/tree.js';
import { parseConf, renderConf, unquote, withValue, type SettingLine } from '../../../src/conf/guc.js';
import { loadConf } from '../../../src/conf/load-conf.js';
import { corpusFiles } from '../../helpers/corpus.js';

const file = '/data/postgresql.conf';
const first = (text: string) => parseConf(text, { file })[0];

describe('parseConf', () => {
  it.each([
    ["work_mem = '4MB'", 'work_mem', '4MB'],
    ['work_mem 4MB', 'work_mem', '4MB'],
    ['work_mem=4MB # note', 'work_mem', '4MB'],
    ["pg_stat_statements.max = 10000", 'pg_stat_statements.max', '10000'],
    ["search_path = '\"$user\", public'", 'search_path', '"$user", public'],
    ['checkpoint_completion_target = .9', 'checkpoint_completion_target', '.9'],
    ['listen_addresses = *'.replace('*', "'*'"), 'listen_addresses', '*'],
    ['log_directory = pg_log/archive', 'log_directory', 'pg_log/archive'],
    ['max_connections = -1', 'max_connections', '-1'],
    ["x.y = 'it''s \\'q\\' \\t\\101'", 'x.y', "it's 'q' \tA"],
  ])('%s', (text, name, value) => {
    expect(first(text)).toMatchObject({ kind: 'setting', name, value });
  });

  it.each([
    ['log_directory = /var/log', 'syntax error in file "/data/postgresql.conf" line 1, near token "/"'],
    ['work_mem =\n', 'syntax error in file "/data/postgresql.conf" line 1, near end of line'],
    ['work mem = 4MB', 'syntax error in file "/data/postgresql.conf" line 1, near token "="'],
    ["work_mem = '4MB", `syntax error in file "/data/postgresql.conf" line 1, near token "'"`],
    ['a.b.c = 1', 'syntax error in file "/data/postgresql.conf" line 1, near token "a.b.c"'],
    ['x = 1.5GB', 'syntax error in file "/data/postgresql.conf" line 1, near token "GB"'],
    ['= 1\n', 'syntax error in file "/data/postgresql.conf" line 1, near token "="'],
  ])('%s → %s', (text, error) => {
    expect(first(text)).toMatchObject({ kind: 'error', error });
  });

  it('types include directives', () => {
    expect(first("include_dir 'conf.d'")).toEqual({ kind: 'include', line: 1, raw: "include_dir 'conf.d'", directive: 'include_dir', path: 'conf.d' });
  });

  it('decodes octal escapes of up to three digits', () => {
    expect(unquote("'\\0101'")).toBe('\u00081');
  });

  it('replaces one value and keeps the rest of the line', () => {
    const line = first("listen_addresses = '*'\t\t# what IP address(es) to listen on;\n") as SettingLine;
    expect(withValue(line, 'localhost').raw).toBe("listen_addresses = 'localhost'\t\t# what IP address(es) to listen on;\n");
  });
});

describe('renderConf', () => {
  it.each(['a = 1\r\n# c\r\n', 'a = 1', '', "\tx.y='ü'  \n\n"])('round-trips %j', (text) => {
    expect(renderConf(parseConf(text, { file }))).toBe(text);
  });
  it.each(corpusFiles('conf'))('round-trips corpus $name', ({ bytes }) => {
    const text = bytes.toString('latin1');
    expect(renderConf(parseConf(text, { file }))).toBe(text);
  });
});

describe('loadConf', () => {

  it('follows includes relative to the including file and orders include_dir by bytes', () => {
    const dir = tree({
      'main.conf': "include 'sub/a.conf'\ninclude_dir 'd'\n",
      'sub/a.conf': "include 'b.conf'\n",
      'sub/b.conf': 'x.b = 1\n',
      'd/Z.conf': 'x.z = 1\n',
      'd/a.conf': 'x.a = 1\n',
      'd/.h.conf': 'x.h = 1\n',
      'd/n.txt': 'x.n = 1\n',
    });
    expect(loadConf(join(dir, 'main.conf')).entries.map((e) => [e.name, e.file.slice(dir.length)])).toEqual([
      ['x.b', '/sub/b.conf'],
      ['x.z', '/d/Z.conf'],
      ['x.a', '/d/a.conf'],
    ]);
  });

  it('reports a missing include at the including line, skips include_if_exists, and stops a loop', () => {
    const dir = tree({ 'main.conf': "include_if_exists 'gone.conf'\ninclude 'gone.conf'\ninclude 'loop.conf'\n", 'loop.conf': "include 'main.conf'\n" });
    const loaded = loadConf(join(dir, 'main.conf'));
    expect(loaded.readOk).toBe(false);
    expect(loaded.entries[0]).toMatchObject({ line: 2, error: `could not open file "${dir}/gone.conf"` });
    // The loop re-reads main.conf (and its missing include) until the depth limit stops it.
    expect(loaded.entries.some((e) => e.error === 'nesting depth exceeded')).toBe(true);
  });
});
