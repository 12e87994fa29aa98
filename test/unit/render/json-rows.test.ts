import { describe, expect, it } from 'vitest';
import { prettyJsonChunks } from '../../../src/render/json-rows.js';

const row = (i: number) => ({
  file: `/etc/postgresql/pg_hba "${i}".conf`,
  line_number: i,
  type: i % 3 === 0 ? null : 'host',
  database: i % 5 === 0 ? [] : ['all', `db\n${i}`],
  user_name: ['app', '\ud800 lone'],
  address: null,
  options: i % 7 === 0 ? null : [`map=m${i}`],
  nested: i % 11 === 0 ? { a: [1, { b: 2 }] } : undefined,
  error: i % 2 === 0 ? null : `invalid "x"\t${i}`,
});

describe('prettyJsonChunks', () => {
  it.each([0, 1, 2, 4095, 4096, 4097, 8192, 10_001])('%i rows: JSON.stringify(rows, null, 2), byte for byte', (n) => {
    const rows = Array.from({ length: n }, (_, i) => row(i));
    const chunks = [...prettyJsonChunks(rows)];
    expect(chunks.join('')).toBe(JSON.stringify(rows, null, 2));
    for (const c of chunks.slice(0, -1)) expect(c.endsWith('\n')).toBe(true);
    expect(chunks.length).toBe(Math.max(1, Math.ceil(n / 4096)));
  });
});
