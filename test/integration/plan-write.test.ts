/**
 * A plan is written whole or not at all: on a file system too small for it (a 64 KB tmpfs as the
 * --out parent, nearly full), `plan` fails naming the file it could not write and the reason, and leaves no
 * plan directory (nor a temporary one) behind, so the same `plan` run again fails the same way
 * instead of saying "already holds a plan"; with room, the same --out works.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

describe.each(testedInstalls())('plan on a full file system, PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let mount: string;
  let mounted = false;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    mount = mkdtempSync(join(tmpdir(), 'pgharden-tmpfs-'));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', mount], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mount tmpfs failed: ${r.stderr}`);
    mounted = true;
    // The disk is nearly full already: room for the secrets, not for plan.json.
    writeFileSync(join(mount, 'filler'), Buffer.alloc(56 * 1024));
  });
  afterAll(async () => {
    if (mounted) spawnSync('umount', [mount]);
    if (mount) rmSync(mount, { recursive: true, force: true });
    await s?.cleanup();
  });

  it('fails naming the path, leaves no plan directory, and the same plan fails the same way again', () => {
    const out = join(mount, 'full');
    for (let run = 0; run < 2; run++) {
      const r = pgharden(['plan', '--spec', s.spec, '--out', out, '--skip-backup']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `Cannot write ${mount}/\\.full\\.pgharden-\\w+/(plan\\.json|secrets|plan\\.hmac|rollback\\.sh) \\(the plan ${out}, being made in ${mount}/\\.full\\.pgharden-\\w+\\): ENOSPC: no space left on device`,
        ),
      );
      expect(r.stderr).toContain('Nothing was saved and no plan directory was left');
      expect(r.stderr).not.toContain('already holds a plan');
      expect(readdirSync(mount)).toEqual(['filler']);
    }
  });

  it('writes the whole plan where there is room, into an empty directory made beforehand too', () => {
    const out = join(s.dir, 'plans', 'roomy');
    mkdirSync(out, { recursive: true });
    const r = pgharden(['plan', '--spec', s.spec, '--out', out, '--skip-backup']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['plan.hmac', 'plan.json', 'rollback.sh', 'secrets']);
    expect(pgharden(['review', out]).code).toBe(0);
    const again = pgharden(['plan', '--spec', s.spec, '--out', out, '--skip-backup']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${out} already holds a plan`);
    expect(readdirSync(join(s.dir, 'plans'))).toEqual(['roomy']);
  });
});
