import { describe, expect, it } from 'vitest';
import { parseConf, renderConf, unquote, withValue, type SettingLine } from '../../../src/conf/guc.js';
import { corpusFiles } from '../../support/corpus.js';

const file = '/data/postgresql.conf';
const first = (text: string) => parseConf(text, { file })[0];

describe('parseConf', () => {
  it.each([
    ["work_mem = '4MB'", 'work_mem', '4MB'],
    ['work_mem 4MB', 'work_mem', '4MB'],
    ['work_mem=4MB # note', 'work_mem', '4MB'],
    ['pg_stat_statements.max = 10000', 'pg_stat_statements.max', '10000'],
    ['search_path = \'"$user", public\'', 'search_path', '"$user", public'],
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
    expect(first("include_dir 'conf.d'")).toEqual({
      kind: 'include',
      line: 1,
      raw: "include_dir 'conf.d'",
      directive: 'include_dir',
      path: 'conf.d',
    });
  });

  it('decodes octal escapes of up to three digits', () => {
    expect(unquote("'\\0101'")).toBe('\u00081');
  });

  it('replaces one value and keeps the rest of the line', () => {
    const line = first("listen_addresses = '*'\t\t# what IP address(es) to listen on;\n") as SettingLine;
    expect(withValue(line, 'localhost').raw).toBe(
      "listen_addresses = 'localhost'\t\t# what IP address(es) to listen on;\n",
    );
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
