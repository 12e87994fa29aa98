import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('fails on an upward import planted in a copy of src/, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-layers-'));
    try {
      cpSync(join(ROOT, 'src'), dir, { recursive: true });
      // The parser reaching up into the executor: exactly the kind of import the order forbids.
      writeFileSync(
        join(dir, 'conf', 'planted.ts'),
        "import { applyPlan } from '../execute/apply.js';\nexport const x = applyPlan;\n",
      );
      const r = check(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        'conf/planted.ts -> execute/apply.ts: conf (layer 1) may not import execute (layer 7)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
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

describe('the package', () => {
  it('exports the public API under its own name, as another program imports it', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('pgharden'); console.log(['audit', 'plan', 'review', 'apply', 'status', 'rollback', 'backup', 'inspectHba'].every((f) => typeof m[f] === 'function'))",
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('true');
  });
});
