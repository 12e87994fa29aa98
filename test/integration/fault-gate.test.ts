/**
 * Fault injection is reachable only from tests: the released CLI (dist/bin/pgharden.js, what `npm pack`
 * ships as the command) ignores PGHARDEN_FAULT and applies the whole plan; only the test entry point
 * (test/support/fault-cli.mjs) turns the variable into a fault, and none of the packed files names it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { CLI, FAULT_CLI, pgharden } from '../support/cli.js';
import { makeStoryPlan, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

const FAULT = { PGHARDEN_FAULT: 'consumers/agents/rewrite:done' };
const ROOT = join(import.meta.dirname, '../..');

describe.each(testedInstalls())('PGHARDEN_FAULT on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
  });
  afterAll(async () => s?.cleanup());

  // Generous limits: each test applies a whole plan and rolls it back on a machine others share.
  it('the released CLI ignores it and applies the whole plan', () => {
    const released = makeStoryPlan(s, 'released');
    const r = spawnSync(process.execPath, [CLI, 'apply', released, '--yes'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', ...FAULT },
      timeout: 600_000,
    });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('Applied and verified');
    expect(pgharden(['rollback', released]).code).toBe(0);
  });

  it('the test entry point turns the same variable into the fault: apply is killed at that step', () => {
    const tested = makeStoryPlan(s, 'tested');
    const killed = spawnSync(process.execPath, [FAULT_CLI, 'apply', tested, '--yes'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', ...FAULT },
      timeout: 600_000,
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(pgharden(['rollback', tested]).code).toBe(0);
  });
});

describe("npm pack's content", () => {
  it('never names PGHARDEN_FAULT, and holds no test entry point', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/bin/pgharden.js');
    expect(files.filter((f) => f.includes('fault-cli'))).toEqual([]);
    const naming = files.filter((f) => readFileSync(join(ROOT, f), 'utf8').includes('PGHARDEN_FAULT'));
    expect(naming).toEqual([]);
  });
});
