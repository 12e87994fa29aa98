import { describe, expect, it } from 'vitest';
import { writePrettyJson } from '../../../src/render/json-rows.js';

const row = (i: number) => ({
  file: `/etc/postgresql/pg_hba "${i}".conf`,
  line_number: i,
  type: i % 3 === 0 ? null : 'host',
  database: i % 5 === 0 ? [] : ['all', `db\n${i}`, 'bäse', '𝄞'],
  user_name: ['app', '\ud800 lone', 'back\\slash', '\u007f'],
  ok: i % 4 === 0,
  ratio: i % 9 === 0 ? Number.NaN : i / 7,
  address: null,
  options: i % 7 === 0 ? null : [`map=m${i}`, null, undefined],
  nested: i % 11 === 0 ? { a: [1, { b: 2 }], d: new Date(0) } : undefined,
  fn: () => 1,
  error: i % 2 === 0 ? null : `invalid "x"\t${i}`,
});

function written(rows: readonly unknown[]): { text: string; chunks: number } {
  const chunks: Uint8Array[] = [];
  writePrettyJson(rows, (b) => chunks.push(Uint8Array.from(b)));
  return { text: Buffer.concat(chunks).toString('utf8'), chunks: chunks.length };
}

describe('writePrettyJson', () => {
  it.each([0, 1, 2, 3000])('%i rows: JSON.stringify(rows, null, 2) and a newline, byte for byte', (n) => {
    const rows = Array.from({ length: n }, (_, i) => row(i));
    expect(written(rows).text).toBe(`${JSON.stringify(rows, null, 2)}\n`);
  });

  it('rows that are not plain objects, and empty ones', () => {
    const rows = [null, [1, 'a'], {}, { toJSON: () => 'j' }, 'text', 7, undefined, { a: {} }];
    expect(written(rows).text).toBe(`${JSON.stringify(rows, null, 2)}\n`);
  });

  it('writes more than a megabyte in chunks, and a string longer than a chunk', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ i, s: 'x'.repeat(100) }));
    rows.push({ i: -1, s: 'y'.repeat(3 << 20) });
    const { text, chunks } = written(rows);
    expect(text).toBe(`${JSON.stringify(rows, null, 2)}\n`);
    expect(chunks).toBeGreaterThan(2);
  });
});
