/**
 * What needs the build (npm test builds before the integration tier; the unit tier needs none):
 * the package as another program imports it, and an interrupted pgharden process taking its
 * commands' process groups down with it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alive, pids, until } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

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

  it('ships the declarations its package.json names, for programs written in TypeScript', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { types: string };
    const types = readFileSync(join(ROOT, pkg.types), 'utf8');
    for (const verb of ['audit', 'plan', 'review', 'apply', 'status', 'rollback', 'backup', 'inspectHba'])
      expect(types).toMatch(new RegExp(`export declare function ${verb}\\b`));
  });
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgharden-run-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A hang detector, far above a loaded machine's time. */
const WAIT = 120_000;

// The built helper, so a plain node process can use it as pgharden does.
const built = join(ROOT, 'dist/process/run.js');

describe('an interrupted pgharden', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('ends its commands process groups on %s and dies of it', async (signal) => {
    expect(existsSync(built), `${built} is missing: run "npm run build" first`).toBe(true);
    const f = join(dir, 'pids');
    // What pgharden does: a shell with a grandchild `sleep` through the helper, then it is interrupted.
    const parentScript = join(dir, 'parent.mjs');
    const tree = ['-c', `sleep 60 & echo $$ $! > ${f}; wait`];
    writeFileSync(
      parentScript,
      `const { run } = await import(${JSON.stringify(built)});\nawait run('sh', ${JSON.stringify(tree)}, { timeoutMs: 60000 });\n`,
    );
    const parent = spawn(process.execPath, [parentScript], { stdio: 'ignore' });
    const ended = new Promise<NodeJS.Signals | null>((r) => parent.on('exit', (_code, sig) => r(sig)));
    expect(await until(() => existsSync(f) && pids(f).length === 2, WAIT)).toBe(true);
    const [shell, grandchild] = pids(f);
    parent.kill(signal);
    expect(await ended).toBe(signal);
    expect(await until(() => !alive(shell!) && !alive(grandchild!), WAIT)).toBe(true);
  });
});
