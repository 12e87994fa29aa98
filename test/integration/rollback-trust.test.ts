/**
 * Rollback trusts nothing it runs or writes back as root unless it can check it:
 * - a plan directory others can write (or a file in it another user owns) is refused by review,
 *   apply, status and rollback, every such path listed with its owner, mode and fix;
 * - a saved copy swapped after apply (backup/01-pg_hba.conf holding `trust` for everyone) is
 *   refused by `pgharden rollback` and by `sh rollback.sh`, and the live pg_hba.conf is untouched;
 * - a journal cut in the middle: status says so, and rollback restores every file the plan touched
 *   from the files' evidence before it drops a role, so no consumer is left on a dropped role.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import {
  fileIdentity,
  makeStoryPlan,
  serverState,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';

describe.each(testedInstalls())('rollback trusts only what it can check, on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let touched: string[];
  let original: Record<string, string>;
  let originalState: Record<string, unknown>;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    touched = [
      s.cluster.hbaFile,
      s.cluster.confFile,
      join(s.cluster.dataDir, 'postgresql.auto.conf'),
      ...s.consumerFiles,
    ];
    original = fileIdentity(touched);
    originalState = await serverState(s);
  });
  afterAll(async () => s?.cleanup());

  const applied = (name: string) => {
    const plan = makeStoryPlan(s, name);
    const r = pgharden(['apply', plan, '--yes']);
    if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
    return plan;
  };

  it('refuses a plan directory others can write, listing every path with its owner, mode and fix', async () => {
    const plan = makeStoryPlan(s, 'writable');
    const plans = join(s.dir, 'plans');
    chmodSync(plans, 0o777);
    chmodSync(plan, 0o777);
    const pg = statSync(s.cluster.dataDir);
    chownSync(join(plan, 'rollback.sh'), pg.uid, pg.gid);
    try {
      for (const args of [
        ['review', plan, '--dsn', s.dsn],
        ['apply', plan, '--yes'],
        ['status', plan],
        ['rollback', plan],
      ]) {
        const r = pgharden(args);
        expect(r.code, `${args[0]}: ${r.stdout}${r.stderr}`).toBe(3);
        expect(r.stderr).toContain(`Refusing to use ${plan}:`);
        expect(r.stderr).toContain(
          `${plans} (owner root:root, mode 0777) is writable by group and others: chmod go-w ${plans}`,
        );
        expect(r.stderr).toContain(
          `${plan} (owner root:root, mode 0777) is writable by group and others: chmod go-w ${plan}`,
        );
        expect(r.stderr).toMatch(
          new RegExp(
            `${join(plan, 'rollback.sh')} \\(owner \\w+:\\w+, mode 0700\\) is owned by \\w+, not by root: chown root `,
          ),
        );
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      expect(fileIdentity(touched)).toEqual(original);
      expect(await serverState(s)).toEqual(originalState);
    } finally {
      chmodSync(plans, 0o700);
      chmodSync(plan, 0o700);
      chownSync(join(plan, 'rollback.sh'), 0, 0);
    }
    // The same directory, put right, is accepted.
    const review = pgharden(['review', plan, '--dsn', s.dsn]);
    expect(review.code, review.stderr).toBe(0);
  });

  it('refuses a swapped saved pg_hba.conf, in pgharden rollback and in rollback.sh, leaving the live file as it is', async () => {
    const plan = applied('swapped');
    const saved = join(plan, 'backup', '01-pg_hba.conf');
    const good = readFileSync(saved);
    const st = statSync(saved);
    // Another user's copy: the mode and owner kept, the content theirs.
    writeFileSync(saved, 'host all all 0.0.0.0/0 trust\n');
    chownSync(saved, st.uid, st.gid);
    chmodSync(saved, st.mode & 0o7777);
    const hardened = fileIdentity(touched);

    const r = pgharden(['rollback', plan]);
    expect(r.stderr).toContain(`${saved} (the saved copy of ${s.cluster.hbaFile}) has sha256`);
    expect(r.stderr).toContain('Nothing was restored.');
    expect(r.code).toBe(3);
    // Nothing else was half-restored first: every file is as apply left it.
    expect(fileIdentity(touched)).toEqual(hardened);

    const sh = spawnSync('sh', [join(plan, 'rollback.sh')], { encoding: 'utf8' });
    expect(sh.stderr).toContain('rollback.sh: backup/01-pg_hba.conf is not the copy pgharden saved');
    expect(sh.status).toBe(3);
    expect(fileIdentity(touched)).toEqual(hardened);

    // The copy apply saved, put back: rollback goes through.
    writeFileSync(saved, good);
    const back = pgharden(['rollback', plan]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(fileIdentity(touched)).toEqual(original);
    expect(await serverState(s)).toEqual(originalState);
  });

  it('says a journal cut in the middle is short, and rolls back every file and the server from the evidence', async () => {
    const plan = applied('cut');
    const journal = join(plan, 'journal');
    const lines = readFileSync(journal, 'utf8').split('\n');
    // Cut at a line boundary before the second consumer's rewrite: the chain still holds, it is only shorter.
    const at = lines.findIndex((l) => l.includes('"stepId":"consumers/weekly-report/rewrite"'));
    expect(at).toBeGreaterThan(0);
    writeFileSync(journal, `${lines.slice(0, at).join('\n')}\n`);

    const st = pgharden(['status', plan]);
    expect(st.code, st.stderr).toBe(0);
    expect.soft(st.stderr).toContain('warning: the journal records nothing of consumers/weekly-report/rewrite');
    expect.soft(st.stderr).toContain(`pgharden rollback ${plan} restores every file`);

    const r = pgharden(['rollback', plan]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fileIdentity(touched)).toEqual(original);
    expect(await serverState(s)).toEqual(originalState);
  });
});
