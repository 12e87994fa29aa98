import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renewSystemIdentifier, TEMPLATES_ENV } from '../../src/scratch/template.js';
import { startCluster, testedInstalls } from '../support/cluster.js';

describe.each(testedInstalls())('scratch clusters copied from a template (PostgreSQL $major)', (install) => {
  it('start as distinct systems, the template made once', async () => {
    const dir = process.env[TEMPLATES_ENV];
    expect(dir, 'the integration set-up names a template directory').toBeTruthy();
    const a = await startCluster(install);
    const b = await startCluster(install);
    try {
      const id = async (c: typeof a) =>
        (await c.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()'))[0]?.id;
      const [ia, ib] = [await id(a), await id(b)];
      expect(ia).toMatch(/^[1-9][0-9]+$/);
      expect(ib).toMatch(/^[1-9][0-9]+$/);
      expect(ia).not.toBe(ib);
      // Each start replayed from the copied checkpoint, and the copy writes as a new cluster.
      await b.query('CREATE TABLE t AS SELECT 1 AS x');
      await b.query('CHECKPOINT');
      expect(await a.query("SELECT to_regclass('t') AS t")).toEqual([{ t: null }]);
      const templates = readdirSync(dir as string).filter((f) => f.startsWith(`pg${install.major}-`));
      expect(templates).toHaveLength(1);
      // The copies were made new, not made by the initdb a template falls back to: this major's
      // pg_control and WAL header are the layout the renewal knows.
      const copy = mkdtempSync(join(tmpdir(), 'pgharden-template-copy-'));
      try {
        cpSync(join(dir as string, templates[0] as string), copy, { recursive: true });
        expect(renewSystemIdentifier(copy)).toBe(true);
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
