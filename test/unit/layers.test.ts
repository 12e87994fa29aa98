import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const check = (dir?: string) =>
  spawnSync(process.execPath, [join(ROOT, 'scripts/check-layers.mjs'), ...(dir ? [dir] : [])], { encoding: 'utf8' });

describe('the layer check', () => {
  it('finds every import of src/ pointing down', () => {
    const r = check();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails on every kind of violation planted in a copy of src/, naming each', () => {
    const root = mkdtempSync(join(tmpdir(), 'pgharden-layers-'));
    const dir = join(root, 'src');
    try {
      cpSync(join(ROOT, 'src'), dir, { recursive: true });
      const plant = (rel: string, text: string) => writeFileSync(join(dir, rel), text);
      // Each a way past the old pattern-matching check, or a rule it did not have.
      plant('conf/up.ts', "import { applyPlan } from '../execute/apply-plan.js';\nexport const x = applyPlan;\n");
      plant('conf/spaced.ts', "export const f = () => import (\n  '../execute/apply-plan.js'\n);\n");
      plant('conf/typed.ts', "import type { Plan } from '../plan/plan-types.js';\nexport type P = Plan;\n");
      plant('hba/reexport.ts', "export * from '../plan/dry-run.js';\n");
      plant('conf/template.ts', 'export const f = () => import(`../execute/apply-plan.js`);\n');
      plant('conf/computed.ts', "const name = '../execute/apply-plan.js';\nexport const f = () => import(name);\n");
      plant('cli/db.ts', "import pg from 'pg';\nexport const C = pg.Client;\n");
      plant('plan/spawn.ts', "import { spawn } from 'node:child_process';\nexport const s = spawn;\n");
      plant(
        'audit/require.ts',
        "import { createRequire } from 'node:module';\nexport const r = createRequire(import.meta.url);\n",
      );
      plant('cli/deep.ts', "import { parseHba } from '../conf/hba.js';\nexport const p = parseHba;\n");
      mkdirSync(join(dir, 'newfolder'));
      plant('newfolder/x.ts', "import { VERSION } from '../core/version.js';\nexport const v = VERSION;\n");
      const r = check(dir);
      expect(r.status).toBe(1);
      for (const said of [
        'conf/up.ts -> execute/apply-plan.ts: conf may import only core, process, not execute',
        'conf/spaced.ts -> execute/apply-plan.ts: conf may import only core, process, not execute',
        'conf/typed.ts -> plan/plan-types.ts: conf may import only core, process, not plan',
        'hba/reexport.ts -> plan/dry-run.ts: hba may import only core, process, conf, not plan',
        'conf/template.ts:1: import() of a computed name',
        'conf/computed.ts:2: import() of a computed name',
        'cli/db.ts -> pg: cli may not import pg',
        'plan/spawn.ts -> node:child_process: plan may not import node:child_process',
        'audit/require.ts:2: createRequire loads modules the layer check cannot see',
        'cli/deep.ts -> conf/hba.ts: cli may import only index.ts, render, guide, demo, not conf',
        'newfolder/x.ts: its folder "newfolder" has no row in the table of edges',
      ])
        expect(r.stderr).toContain(said);
      // Nothing else: today's code is clean, and each planted file is named only for what it did.
      const planted =
        /(conf\/(up|spaced|typed|template|computed)|hba\/reexport|cli\/(db|deep)|plan\/spawn|audit\/require|newfolder\/x)\.ts/;
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !planted.test(l)),
      ).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the version', () => {
  it('is written once, and equals package.json', async () => {
    const { VERSION } = await import('../../src/index.js');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
