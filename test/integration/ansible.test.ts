/**
 * The Ansible collection and ansible/playbooks/harden.yml against three story clusters, each an
 * inventory host on this machine: --check --diff shows every host's pg_hba.conf diff and changes
 * nothing; the playbook hardens all three (the server then refuses a passwordless superuser from
 * the VPN), resuming one whose apply was killed halfway, without a password in -vvv output or
 * Ansible's log; a second run changes nothing; and with the second host's consumer health check
 * failing, the rollout stops after that host, which is rolled back byte for byte, while the third
 * is untouched. One major is enough here: the modules only wrap the CLI, whose own tests cover
 * every major. The hosts skip the verified backup (its own tests cover it) to keep this file lean.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/hba/probe.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import {
  ANSIBLE_DIR,
  ANSIBLE_PRESENT,
  ansibleDoc,
  DSN_PASSWORD,
  hostVars,
  recap,
  runModule,
  runPlaybook,
  sampleCmdlines,
  storySpec,
  writeInventory,
} from '../support/ansible.js';
import { pgharden } from '../support/cli.js';
import { testedInstalls } from '../support/cluster.js';
import { fileIdentity, serverState, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

if (!ANSIBLE_PRESENT)
  console.log('ansible tests skipped: ansible-playbook is not installed (apt-get install ansible-core)');

const HOSTS = ['host1', 'host2', 'host3'] as const;

/** Temporary plan directories the harden module made in check mode and left behind (there must be none). */
function leftovers(dir: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isDirectory() && e.name.startsWith('pgharden-check-')) found.push(join(e.parentPath, e.name));
  return found;
}

describe.skipIf(!ANSIBLE_PRESENT)('the collection without a server', () => {
  it('documents every option of both modules (ansible-doc)', async () => {
    const docs = await ansibleDoc(['pgharden.postgresql.audit', 'pgharden.postgresql.harden']);
    const options = (m: string) => docs[`pgharden.postgresql.${m}`]!.doc.options;
    expect(Object.keys(options('audit')).sort()).toEqual(['cluster', 'dsn', 'fail_on', 'pgdata', 'pgharden_bin']);
    expect(Object.keys(options('harden')).sort()).toEqual([
      'audit',
      'cluster',
      'dsn',
      'name',
      'pgharden_bin',
      'plan_dir',
      'skip_backup',
      'spec',
      'spec_file',
      'state',
      'terminate',
    ]);
    for (const m of ['audit', 'harden'])
      for (const o of Object.values(options(m))) expect(o.description.join(' ').length).toBeGreaterThan(20);
  });

  it('pass their own unit tests (python3 -m unittest)', () => {
    const collections = join(ANSIBLE_DIR, 'collections');
    const r = spawnSync(
      'python3',
      [join(collections, 'ansible_collections/pgharden/postgresql/tests/unit/plugins/module_utils/test_diff.py')],
      { encoding: 'utf8', env: { ...process.env, PYTHONPATH: collections } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^OK$/m);
  });
});

/**
 * A playbook over three hosts plans, applies and rolls back three clusters through Ansible, one
 * after the other: minutes on a quiet machine, and many more with other suites on the two cores.
 * Its tests get this documented limit, above the project's ten-minute hang detector.
 */
const PLAYBOOK = 1_800_000;

describe.skipIf(!ANSIBLE_PRESENT).each(testedInstalls().slice(0, 1))(
  'the pgharden.postgresql collection on three PostgreSQL $major hosts',
  (install) => {
    let tmp: string;
    let stories: StoryPlanSetup[];
    let inventory: string;
    const touched = (s: StoryPlanSetup) => [
      s.cluster.hbaFile,
      s.cluster.confFile,
      join(s.cluster.dataDir, 'postgresql.auto.conf'),
      ...s.consumerFiles,
    ];
    const original: Record<string, string>[] = [];
    const originalState: Record<string, unknown>[] = [];
    const secretsOf = (s: StoryPlanSetup, plan: string): string[] => {
      const j = JSON.parse(readFileSync(join(s.dir, 'plans', plan, 'secrets'), 'utf8')) as {
        roles: Record<string, { password: string; verifier: string }>;
        planKey: string;
      };
      return [...Object.values(j.roles).flatMap((r) => [r.password, r.verifier]), j.planKey];
    };
    const superuserFromVpn = (s: StoryPlanSetup) =>
      probe({
        host: '127.0.0.1',
        port: s.cluster.port,
        localAddress: VPN_DEVICE,
        user: 'postgres',
        database: 'workspace',
      });

    beforeAll(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'pgharden-ansible-'));
      stories = await Promise.all(HOSTS.map(() => storyWithConsumers(install)));
      for (const s of stories) {
        original.push(fileIdentity(touched(s)));
        originalState.push(await serverState(s));
      }
      inventory = writeInventory(
        tmp,
        'fleet',
        Object.fromEntries(HOSTS.map((h, i) => [h, hostVars(stories[i]!, 'main')])),
      );
    });
    afterAll(async () => {
      await Promise.all((stories ?? []).map((s) => s.cleanup()));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it(
      '--check --diff shows each host pg_hba.conf diff, writes no plan, keeps a plan it did not make, and no DSN is in any argv',
      async () => {
        // host2 already holds a plan that was never applied (made by hand): check mode reviews it and leaves it.
        const s2 = stories[1]!;
        const handMade = join(s2.dir, 'plans', 'main');
        const made = pgharden(['plan', '--spec', s2.spec, '--out', handMade, '--skip-backup', '--json'], {
          PGHARDEN_DSN: hostVars(s2, 'main').pgharden_dsn as string,
        });
        expect(made.code, made.stderr).toBe(0);
        const handMadeFiles = fileIdentity(['plan.json', 'secrets', 'plan.hmac'].map((f) => join(handMade, f)));

        const sampler = sampleCmdlines(DSN_PASSWORD);
        const r = await runPlaybook(inventory, ['--check', '--diff'], { tmp });
        const seen = await sampler.stop();
        expect(r.code, r.output).toBe(0);
        for (const [i, s] of stories.entries()) {
          expect(r.output).toContain(`--- before: ${s.cluster.hbaFile}\n+++ after: ${s.cluster.hbaFile}`);
          expect(r.output).toContain(`--- before: ${s.consumerFiles[0]}`);
          expect(fileIdentity(touched(s))).toEqual(original[i]);
          expect(await serverState(s)).toEqual(originalState[i]);
          expect(recap(r.output, HOSTS[i]!)).toMatchObject({ changed: 1, failed: 0 });
        }
        expect(r.output).toMatch(/^\+host +all +all +127\.10\.0\.0\/16 +scram-sha-256 +# pgharden: was trust$/m);
        expect(r.output).toContain('DATABASE_URL=postgres://agents_app:<redacted>@127.0.0.1:');
        // Check mode wrote no plan (and so no secret) where there was none, and kept the one it found.
        expect(existsSync(join(stories[0]!.dir, 'plans'))).toBe(false);
        expect(existsSync(join(stories[2]!.dir, 'plans'))).toBe(false);
        expect(fileIdentity(['plan.json', 'secrets', 'plan.hmac'].map((f) => join(handMade, f)))).toEqual(
          handMadeFiles,
        );
        expect(leftovers(tmp)).toEqual([]);
        // Every pgharden process of the run was seen, and no command line held the DSN's password.
        expect(
          seen.pgharden.some((l) => / plan --spec /.test(l)),
          seen.pgharden.join('\n'),
        ).toBe(true);
        expect(seen.pgharden.some((l) => / audit --json/.test(l))).toBe(true);
        expect(seen.leaks).toEqual([]);
        expect(r.output).not.toContain(DSN_PASSWORD);
      },
      PLAYBOOK,
    );

    it(
      'hardens every host, resuming an interrupted apply, and no password reaches -vvv output or the log',
      async () => {
        const killed = await runModule(
          inventory,
          'host1',
          'pgharden.postgresql.harden',
          'dsn={{ pgharden_dsn }} spec={{ pgharden_spec }} plan_dir={{ pgharden_plan_dir }} pgharden_bin={{ pgharden_bin }} skip_backup={{ pgharden_skip_backup }}',
          { tmp, env: { PGHARDEN_FAULT: 'consumers/agents/rewrite:done' } },
        );
        expect(killed.code, killed.output).not.toBe(0);
        expect(killed.output).toContain('pgharden apply failed (exit');
        const log = join(tmp, 'ansible.log');
        const sampler = sampleCmdlines(DSN_PASSWORD);
        const r = await runPlaybook(inventory, ['-vvv'], { tmp, logFile: log });
        const seen = await sampler.stop();
        expect(r.code, r.output.slice(-4000)).toBe(0);
        expect(
          seen.pgharden.some((l) => / apply \S+ --yes --json/.test(l)),
          seen.pgharden.join('\n'),
        ).toBe(true);
        expect(seen.leaks).toEqual([]);
        expect(r.output + readFileSync(log, 'utf8')).not.toContain(DSN_PASSWORD);
        for (const [i, s] of stories.entries()) {
          expect(recap(r.output, HOSTS[i]!)).toMatchObject({ failed: 0, rescued: 0 });
          expect(await superuserFromVpn(s)).toMatchObject({ kind: 'error', class: 'rejected' });
          expect(readFileSync(s.consumerFiles[0]!, 'utf8')).toContain('postgres://agents_app:');
          const text = r.output + readFileSync(log, 'utf8');
          for (const secret of secretsOf(s, 'main')) expect(text.includes(secret)).toBe(false);
        }
        expect(r.output).toContain('"dsn": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"');
        expect(r.output).toMatch(/"host1: resumed, [\d.]+ s, critical\/high findings 2\/\d+ -> 0\/\d+"/);
        expect(r.output).toMatch(/"host2: applied, [\d.]+ s, critical\/high findings 2\/\d+ -> 0\/\d+"/);
        expect(r.output).toMatch(/"host3: applied, [\d.]+ s, critical\/high findings 2\/\d+ -> 0\/\d+"/);
        // host2's plan is the one made by hand before: applied where it was, not replaced.
        expect(JSON.parse(readFileSync(join(stories[1]!.dir, 'plans', 'main', 'report.json'), 'utf8'))).toBeTruthy();
      },
      PLAYBOOK,
    );

    /**
     * Whether pgharden plan plans the delta on a hardened cluster (issue 21): asked of the CLI
     * itself, so that a playbook run that would fail (and roll the host back in its rescue) is not made.
     */
    const deltaPlanning = (s: StoryPlanSetup): boolean => {
      const r = pgharden(['plan', '--spec', s.spec, '--out', join(tmp, 'probe'), '--skip-backup', '--json'], {
        PGHARDEN_DSN: hostVars(s, 'main').pgharden_dsn as string,
      });
      if (r.code === 2 && r.stderr.includes('already exists; choose another name')) return false;
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ nothingToDo: true });
      expect(existsSync(join(tmp, 'probe'))).toBe(false);
      return true;
    };
    const NEEDS_DELTA = 'needs pgharden plan to plan the delta on a hardened cluster ("nothingToDo", issue 21)';

    it(
      'changes nothing when run again: each host is in sync with its spec',
      async (ctx) => {
        if (!deltaPlanning(stories[0]!)) ctx.skip(NEEDS_DELTA);
        const r = await runPlaybook(inventory, [], { tmp });
        expect(r.code, r.output).toBe(0);
        for (const h of HOSTS) expect(recap(r.output, h)).toMatchObject({ changed: 0, failed: 0 });
        for (const s of stories) expect(existsSync(join(s.dir, 'plans', 'main.2'))).toBe(false);
      },
      PLAYBOOK,
    );

    it(
      'plans a changed spec as a delta: its diff in check mode (no plan left), applied, then in sync',
      async (ctx) => {
        const s1 = stories[0]!;
        if (!deltaPlanning(s1)) ctx.skip(NEEDS_DELTA);
        const wider = { ...storySpec(s1), network: { trustedRanges: ['127.10.0.0/16', '127.11.0.0/16'] } };
        const inv = writeInventory(tmp, 'wider', { host1: hostVars(s1, 'main', wider) });
        const check = await runPlaybook(inv, ['--check', '--diff'], { tmp });
        expect(check.code, check.output).toBe(0);
        expect(recap(check.output, 'host1')).toMatchObject({ changed: 1, failed: 0 });
        expect(check.output).toContain('127.11.0.0/16');
        expect(existsSync(join(s1.dir, 'plans', 'main.2'))).toBe(false);
        const real = await runPlaybook(inv, [], { tmp });
        expect(real.code, real.output).toBe(0);
        expect(recap(real.output, 'host1')).toMatchObject({ changed: 1, failed: 0 });
        expect(existsSync(join(s1.dir, 'plans', 'main.2', 'report.json'))).toBe(true);
        const third = await runPlaybook(inv, [], { tmp });
        expect(recap(third.output, 'host1')).toMatchObject({ changed: 0, failed: 0 });
      },
      PLAYBOOK,
    );

    it(
      'stops after a host whose consumer health check fails, rolls it back and leaves the rest untouched',
      async () => {
        const back = await runPlaybook(inventory, ['--limit', 'host2,host3', '-e', 'pgharden_state=rolled_back'], {
          tmp,
        });
        expect(back.code, back.output).toBe(0);
        const [, s2, s3] = stories as [StoryPlanSetup, StoryPlanSetup, StoryPlanSetup];
        expect(fileIdentity(touched(s2))).toEqual(original[1]);
        expect(fileIdentity(touched(s3))).toEqual(original[2]);

        // The audit option: the rolled-back host's findings as facts (nothing to roll back twice).
        const audited = await runModule(
          inventory,
          'host2',
          'pgharden.postgresql.harden',
          'dsn={{ pgharden_dsn }} plan_dir={{ pgharden_plan_dir }} pgharden_bin={{ pgharden_bin }} state=rolled_back audit=true',
          { tmp },
        );
        expect(audited.code, audited.output).toBe(0);
        expect(audited.output).toContain('"action": "nothing_to_roll_back"');
        expect(audited.output).toMatch(/"pgharden_audit": \{[\s\S]*"counts": \{[\s\S]*"critical": 2,/);
        expect(audited.output).not.toContain(DSN_PASSWORD);

        const failing = writeInventory(tmp, 'failing', {
          host2: hostVars(s2, 'unhealthy', storySpec(s2, { healthCheck: ['sh', '-c', 'echo unhealthy >&2; exit 1'] })),
          host3: hostVars(s3, 'unhealthy'),
        });
        const r = await runPlaybook(failing, [], { tmp });
        expect(r.code).not.toBe(0);
        expect(recap(r.output, 'host2')).toMatchObject({ failed: 1 });
        expect(r.output).toContain('host2 failed and was rolled back: apply stopped at consumers/agents/health: ');
        expect(r.output).toMatch(
          /"host2: failed, rolled back, [\d.]+ s, critical\/high findings 2\/\d+ -> 2\/\d+",\n\s+"host3: not reached"/,
        );
        // host3 appears only as "skipping" in the install play (no pgharden_deb); the harden
        // play must never touch it.
        const hardenPlay = r.output.slice(r.output.indexOf('PLAY [Harden'));
        expect(hardenPlay).toContain('PLAY [Harden');
        expect(hardenPlay).not.toMatch(/\[host3\]/);
        expect(fileIdentity(touched(s2))).toEqual(original[1]);
        expect(await serverState(s2)).toEqual(originalState[1]);
        expect(await superuserFromVpn(s2)).toEqual({ kind: 'ok' });
        expect(fileIdentity(touched(s3))).toEqual(original[2]);
        expect(await serverState(s3)).toEqual(originalState[2]);
        expect(existsSync(join(s3.dir, 'plans', 'unhealthy'))).toBe(false);
      },
      PLAYBOOK,
    );
  },
);
