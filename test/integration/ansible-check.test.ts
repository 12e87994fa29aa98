/**
 * The harden module's check mode is `pgharden plan --check`: the delta and its review computed in
 * memory. On a hardened host whose spec gained a role it reports `changed` with that role's steps;
 * on a host in sync, `ok`; and neither run writes anything: no plan directory, no secrets file
 * (not even for a moment, under Ansible's own temporary directory), nothing in TMPDIR. PostgreSQL
 * 15 only, as the other Ansible tests: the module wraps the CLI, whose own tests cover every major.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSIBLE_PRESENT, hostVars, runModule, storySpec, writeInventory } from '../support/ansible.js';
import { testedInstalls } from '../support/cluster.js';
import { storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

if (!ANSIBLE_PRESENT)
  console.log('ansible check-mode tests skipped: ansible-playbook is not installed (apt-get install ansible-core)');

const ARGS =
  'dsn={{ pgharden_dsn }} spec={{ pgharden_spec }} plan_dir={{ pgharden_plan_dir }} pgharden_bin={{ pgharden_bin }} skip_backup={{ pgharden_skip_backup }}';

/** Records every name created, changed or removed under these directories while it runs. */
function watching(dirs: string[]): { events: string[]; close(): void } {
  const events: string[] = [];
  const watchers: FSWatcher[] = dirs.map((d) =>
    watch(d, { recursive: true }, (type, name) => events.push(`${type} ${join(d, String(name))}`)),
  );
  return {
    events,
    close: () => {
      for (const w of watchers) w.close();
    },
  };
}

/** The module's result from `ansible HOST -m MODULE` output (`host1 | CHANGED => {...}`). */
function result(output: string): Record<string, unknown> {
  const at = output.indexOf('=> {');
  if (at === -1) throw new Error(`no module result in:\n${output}`);
  return JSON.parse(output.slice(at + 3)) as Record<string, unknown>;
}

describe.skipIf(!ANSIBLE_PRESENT).each(testedInstalls().slice(0, 1))(
  'the harden module in check mode on PostgreSQL $major',
  (install) => {
    let s: StoryPlanSetup;
    let tmp: string;
    let plans: string;

    beforeAll(async () => {
      s = await storyWithConsumers(install);
      tmp = mkdtempSync(join(tmpdir(), 'pgharden-ansible-check-'));
      plans = join(s.dir, 'plans');
      mkdirSync(plans, { mode: 0o700 });
    });
    afterAll(async () => {
      await s?.cleanup();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    /** A check-mode run with a fresh TMPDIR, watching it, the plans directory and Ansible's temporary files. */
    async function checkRun(name: string, spec: Record<string, unknown>) {
      const inventory = writeInventory(tmp, name, { host1: hostVars(s, 'main', spec) });
      const freshTmp = mkdtempSync(join(tmp, `TMPDIR-${name}-`));
      const ansibleTmp = join(tmp, 'ansible-remote');
      mkdirSync(ansibleTmp, { recursive: true });
      const before = readdirSync(plans, { recursive: true, encoding: 'utf8' }).sort();
      const w = watching([plans, freshTmp, ansibleTmp]);
      const r = await runModule(inventory, 'host1', 'pgharden.postgresql.harden', ARGS, {
        tmp,
        env: { TMPDIR: freshTmp },
        flags: ['--check', '--diff'],
      });
      await new Promise((done) => setTimeout(done, 500));
      w.close();
      return {
        r,
        planEvents: w.events.filter((e) => e.includes(plans)),
        // Ansible unpacks its module in TMPDIR (ansible_*_payload, and Python probes the directory
        // with a random name): what pgharden's module or CLI would make there is named pgharden-.
        tmpEvents: w.events.filter((e) => e.includes(freshTmp) && /\/pgharden-/.test(e.split(freshTmp)[1]!)),
        // Ansible writes its own module files under its temp; a plan or secrets file is never among them.
        planFiles: w.events.filter((e) => /\b(secrets|plan\.json|plan\.hmac|rollback\.sh)\b/.test(e)),
        plansAfter: readdirSync(plans, { recursive: true, encoding: 'utf8' }).sort(),
        plansBefore: before,
        tmpAfter: readdirSync(freshTmp),
      };
    }

    it('hardens the host for real first', async () => {
      const inventory = writeInventory(tmp, 'day1', { host1: hostVars(s, 'main') });
      const r = await runModule(inventory, 'host1', 'pgharden.postgresql.harden', ARGS, { tmp });
      expect(r.code, r.output).toBe(0);
      expect(result(r.output)).toMatchObject({ changed: true, action: 'applied' });
    });

    it('reports changed, with the new role steps, when the spec gained a role, and writes nothing', async () => {
      const spec = storySpec(s);
      (spec.roles as unknown[]).push({ name: 'auditor', template: 'readonly', databases: ['workspace'] });
      const c = await checkRun('gained', spec);
      expect(c.r.code, c.r.output).toBe(0);
      expect(c.planEvents).toEqual([]);
      expect(c.tmpEvents).toEqual([]);
      expect(c.planFiles).toEqual([]);
      expect(c.plansAfter).toEqual(c.plansBefore);
      expect(c.tmpAfter).toEqual([]);
      expect(existsSync(join(plans, 'main.2'))).toBe(false);
      const out = result(c.r.output);
      expect(out).toMatchObject({ changed: true, action: 'planned' });
      expect((out.changes as { id: string }[]).map((x) => x.id)).toEqual(
        expect.arrayContaining(['roles/create-auditor', 'roles/grant-auditor-workspace']),
      );
      expect(out.rollback).toBeUndefined();
    });

    it('reports ok on a host in sync with its spec, and writes nothing', async () => {
      const c = await checkRun('same', storySpec(s));
      expect(c.r.code, c.r.output).toBe(0);
      expect(result(c.r.output)).toMatchObject({ changed: false, action: 'unchanged' });
      expect(c.planEvents).toEqual([]);
      expect(c.tmpEvents).toEqual([]);
      expect(c.planFiles).toEqual([]);
      expect(c.plansAfter).toEqual(c.plansBefore);
      expect(c.tmpAfter).toEqual([]);
    });
  },
);
