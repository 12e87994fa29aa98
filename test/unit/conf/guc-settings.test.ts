import { describe, expect, it } from 'vitest';
import { fileSettingsRows } from '../../../src/conf/guc-settings.js';
import { parseBool, type GucCatalog, type GucParam } from '../../../src/conf/guc-values.js';
import type { LoadedConf } from '../../../src/conf/load-conf.js';

function param(p: Partial<GucParam> & Pick<GucParam, 'name' | 'vartype'>): [string, GucParam] {
  return [
    p.name,
    { context: 'user', unit: null, min: null, max: null, enumvals: null, setting: '', source: 'default', ...p },
  ];
}

const catalog: GucCatalog = new Map([
  param({ name: 'work_mem', vartype: 'integer', unit: 'kB', min: '64', max: '2147483647', setting: '4096' }),
  param({
    name: 'max_connections',
    vartype: 'integer',
    context: 'postmaster',
    min: '1',
    max: '262143',
    setting: '100',
  }),
  param({
    name: 'shared_buffers',
    vartype: 'integer',
    context: 'postmaster',
    unit: '8kB',
    min: '16',
    max: '1073741823',
    setting: '16384',
    source: 'configuration file',
  }),
  param({ name: 'statement_timeout', vartype: 'integer', unit: 'ms', min: '0', max: '2147483647', setting: '0' }),
  param({ name: 'random_page_cost', vartype: 'real', min: '0', max: '1.79769e+308', setting: '4' }),
  param({ name: 'enable_seqscan', vartype: 'bool', setting: 'on' }),
  param({
    name: 'wal_level',
    vartype: 'enum',
    context: 'postmaster',
    enumvals: ['minimal', 'replica', 'logical'],
    setting: 'replica',
  }),
  param({ name: 'ssl_ecdh_curve', vartype: 'string', context: 'sighup', setting: 'prime256v1' }),
]);

/** Entries as the loader gives them, all in one file, one per line. */
function loaded(settings: [string, string][], readOk = true): LoadedConf {
  return {
    files: new Map(),
    entries: settings.map(([name, value], i) => ({
      file: '/pg/postgresql.conf',
      line: i + 1,
      name,
      value,
      error: null,
    })),
    readOk,
    messages: [],
  };
}

/** [name, applied, error] of the rows for the given settings (the end-of-list reports left out). */
const judge = (settings: [string, string][]) =>
  fileSettingsRows(loaded(settings), catalog)
    .filter((r) => r.name !== null)
    .map((r) => [r.name, r.applied, r.error]);

describe('fileSettingsRows', () => {
  it.each<[string, string, boolean]>([
    ['work_mem', '4MB', true],
    ['work_mem', '1 GB', true],
    ['work_mem', '0x100', true],
    ['work_mem', '32kB', false],
    ['work_mem', '1.5MB', true],
    ['work_mem', 'lots', false],
    ['work_mem', '4 mb', false],
    ['work_mem', '3TB', false],
    ['statement_timeout', '1min', true],
    ['statement_timeout', '1.5s', true],
    ['statement_timeout', '5 parsecs', false],
    ['random_page_cost', '1.5', true],
    ['random_page_cost', '-1', false],
    ['enable_seqscan', 'of', true],
    ['enable_seqscan', 'OFF', true],
    ['enable_seqscan', 'y', true],
    ['enable_seqscan', 'maybe', false],
    ['wal_level', 'hot_standby', true],
    ['wal_level', 'logical', false],
    ['max_connections', '100', true],
    ['max_connections', '0100', false],
    ['shared_buffers', '128MB', true],
    ['shared_buffers', '256MB', false],
    ['ssl_ecdh_curve', 'secp384r1', true],
  ])('%s = %s → applied %s', (name, value, applied) => {
    const [row] = fileSettingsRows(loaded([[name, value]]), catalog);
    expect(row).toEqual({
      sourcefile: '/pg/postgresql.conf',
      sourceline: 1,
      seqno: 1,
      name,
      setting: value,
      applied,
      error: applied ? null : 'setting could not be applied',
    });
  });

  it('lets the last of the same spelling win and keeps other spellings', () => {
    expect(
      judge([
        ['work_mem', '1MB'],
        ['Work_Mem', '2MB'],
        ['work_mem', '3MB'],
        ['sort_mem', '4096'],
      ]),
    ).toEqual([
      ['work_mem', false, null],
      ['Work_Mem', true, null],
      ['work_mem', true, null],
      ['sort_mem', true, null],
    ]);
  });

  it('reports unknown names, and then applies nothing', () => {
    expect(
      judge([
        ['work_mem', '1MB'],
        ['constructor', '1'],
        ['my.custom', 'x'],
        ['ünï.x', '1'],
      ]),
    ).toEqual([
      ['work_mem', false, null],
      ['constructor', false, 'unrecognized configuration parameter'],
      ['my.custom', false, null],
      ['ünï.x', false, null],
    ]);
  });

  it('lists restart-only parameters the files no longer set', () => {
    const rows = fileSettingsRows(loaded([['work_mem', '1MB']]), catalog);
    expect(rows.at(-1)).toEqual({
      sourcefile: null,
      sourceline: null,
      seqno: 2,
      name: null,
      setting: null,
      applied: false,
      error: 'parameter "shared_buffers" cannot be changed without restarting the server',
    });
  });

  it('applies nothing when reading failed', () => {
    expect(fileSettingsRows(loaded([['work_mem', '1MB']], false), catalog).map((r) => r.applied)).toEqual([false]);
  });

  it('handles a long file of duplicates in linear time', () => {
    const many = Array.from({ length: 200_000 }, (_, i): [string, string] => ['work_mem', `${(i % 64) + 1}MB`]);
    // Quadratic duplicate handling needs minutes here, which the timeout catches without timing a
    // shared machine; bench/run.mjs measures parse times.
    const rows = fileSettingsRows(loaded(many), catalog);
    expect(rows.filter((r) => r.applied)).toHaveLength(1);
  }, 30_000);
});

describe('parseBool', () => {
  it.each<[string, boolean | undefined]>([
    ['on', true],
    ['ON', true],
    ['t', true],
    ['yes', true],
    ['1', true],
    [' true ', true],
    ['off', false],
    ['f', false],
    ['n', false],
    ['0', false],
    ['o', undefined],
    ['', undefined],
    ['2', undefined],
  ])('%j → %s', (text, value) => {
    expect(parseBool(text)).toBe(value);
  });
});
