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
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/hba/probe.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import {
  ANSIBLE_DIR,
  ANSIBLE_PRESENT,
  ansibleDoc,
  hostVars,
  recap,
  runModule,
  runPlaybook,
  storySpec,
  writeInventory,
} from '../support/ansible.js';
import { testedInstalls } from '../support/cluster.js';
import { fileIdentity, serverState, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

if (!ANSIBLE_PRESENT)
  console.log('ansible tests skipped: ansible-playbook is not installed (apt-get install ansible-core)');

const HOSTS = ['host1', 'host2', 'host3'] as const;

describe.skipIf(!ANSIBLE_PRESENT)('the collection without a server', () => {
  it('documents every option of both modules (ansible-doc)', async () => {
    const docs = await ansibleDoc(['pgharden.postgresql.audit', 'pgharden.postgresql.harden']);
    const options = (m: string) => docs[`pgharden.postgresql.${m}`]!.doc.options;
    expect(Object.keys(options('audit')).sort()).toEqual(['cluster', 'dsn', 'fail_on', 'pgdata', 'pgharden_bin']);
    expect(Object.keys(options('harden')).sort()).toEqual([
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
    }, 120_000);
    afterAll(async () => {
      await Promise.all((stories ?? []).map((s) => s.cleanup()));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('--check --diff shows each host pg_hba.conf diff and changes nothing but the plans', async () => {
      const r = await runPlaybook(inventory, ['--check', '--diff'], { tmp });
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
    }, 120_000);

    it('hardens every host, resuming an interrupted apply, and no password reaches -vvv output or the log', async () => {
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
      const r = await runPlaybook(inventory, ['-vvv'], { tmp, logFile: log });
      expect(r.code, r.output.slice(-4000)).toBe(0);
      for (const [i, s] of stories.entries()) {
        expect(recap(r.output, HOSTS[i]!)).toMatchObject({ failed: 0, rescued: 0 });
        expect(await superuserFromVpn(s)).toMatchObject({ kind: 'error', class: 'rejected' });
        expect(readFileSync(s.consumerFiles[0]!, 'utf8')).toContain('postgres://agents_app:');
        const text = r.output + readFileSync(log, 'utf8');
        for (const secret of secretsOf(s, 'main')) expect(text.includes(secret)).toBe(false);
      }
      expect(r.output).toContain('"dsn": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"');
      expect(r.output).toMatch(/"host1: resumed, [\d.]+ s, critical\/high findings 2\/\d+ -> 0\/\d+"/);
      expect(r.output).toMatch(/"host3: applied, [\d.]+ s, critical\/high findings 2\/\d+ -> 0\/\d+"/);
    }, 200_000);

    it('changes nothing when run again', async () => {
      const r = await runPlaybook(inventory, [], { tmp });
      expect(r.code, r.output).toBe(0);
      for (const h of HOSTS) expect(recap(r.output, h)).toMatchObject({ changed: 0, failed: 0 });
    }, 120_000);

    it('stops after a host whose consumer health check fails, rolls it back and leaves the rest untouched', async () => {
      const back = await runPlaybook(inventory, ['--limit', 'host2,host3', '-e', 'pgharden_state=rolled_back'], {
        tmp,
      });
      expect(back.code, back.output).toBe(0);
      const [s1, s2, s3] = stories as [StoryPlanSetup, StoryPlanSetup, StoryPlanSetup];
      expect(fileIdentity(touched(s2))).toEqual(original[1]);
      expect(fileIdentity(touched(s3))).toEqual(original[2]);

      const failing = writeInventory(tmp, 'failing', {
        host1: hostVars(s1, 'main'),
        host2: hostVars(s2, 'unhealthy', storySpec(s2, { healthCheck: ['sh', '-c', 'echo unhealthy >&2; exit 1'] })),
        host3: hostVars(s3, 'unhealthy'),
      });
      const r = await runPlaybook(failing, [], { tmp });
      expect(r.code).not.toBe(0);
      expect(recap(r.output, 'host1')).toMatchObject({ changed: 0, failed: 0 });
      expect(recap(r.output, 'host2')).toMatchObject({ failed: 1 });
      expect(r.output).toContain('host2 failed and was rolled back: apply stopped at consumers/agents/health: ');
      expect(r.output).toMatch(
        /"host2: failed, rolled back, [\d.]+ s, critical\/high findings 2\/\d+ -> 2\/\d+",\n\s+"host3: not reached"/,
      );
      expect(r.output).not.toMatch(/\[host3\]/);
      expect(fileIdentity(touched(s2))).toEqual(original[1]);
      expect(await serverState(s2)).toEqual(originalState[1]);
      expect(await superuserFromVpn(s2)).toEqual({ kind: 'ok' });
      expect(fileIdentity(touched(s3))).toEqual(original[2]);
      expect(await serverState(s3)).toEqual(originalState[2]);
      expect(existsSync(join(s3.dir, 'plans', 'unhealthy'))).toBe(false);
    }, 200_000);
  },
);
