/**
 * pgharden drift on the story cluster after a full apply: in sync right after apply (exit 0),
 * drifted once a `host all all 10.0.0.0/8 trust` line is added by hand and reloaded (exit 1,
 * naming the file and the line, and the superuser it lets in), in sync again after the fix; the
 * metrics file carries the cluster label; a consumer file moved back to the old user, a grant
 * added by hand, a loosened file mode and a superuser made after apply are each named with their fix.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { CLI, pgharden } from '../support/cli.js';
import { makeStoryPlan, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

interface DriftJson {
  inSync: boolean;
  cluster: string;
  differences: { kind: string; object: string; expected: string; actual: string; evidence: string[]; fix: string }[];
}

describe.each(testedInstalls())('pgharden drift on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let plan: string;
  let hbaAfterApply: string;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    plan = makeStoryPlan(s, 'office-vpn');
    const applied = pgharden(['apply', plan, '--yes']);
    if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
    hbaAfterApply = readFileSync(s.cluster.hbaFile, 'utf8');
  });
  afterAll(async () => s?.cleanup());

  const driftJson = (...extra: string[]) => {
    const r = pgharden(['drift', plan, '--json', ...extra]);
    return { code: r.code, stderr: r.stderr, json: JSON.parse(r.stdout) as DriftJson };
  };

  it('is in sync right after apply, from the newest applied plan under ./plans by default', () => {
    const r = spawnSync(process.execPath, [CLI, 'drift'], {
      cwd: s.dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`In sync: cluster pg${install.major}-${s.cluster.port} matches plan plans/office-vpn.`);
    expect(r.status).toBe(0);
    const j = driftJson();
    expect(j.json).toEqual({ inSync: true, cluster: `pg${install.major}-${s.cluster.port}`, differences: [] });
    // The spec as the desired state, reached over the socket (its TCP superuser login is closed now).
    const socket = `host=${s.cluster.socketDir} port=${s.cluster.port} user=postgres dbname=postgres`;
    const spec = pgharden(['drift', '--spec', s.spec, '--dsn', socket, '--json']);
    expect(spec.stderr).toBe('');
    expect(JSON.parse(spec.stdout)).toEqual({
      inSync: true,
      cluster: `pg${install.major}-${s.cluster.port}`,
      differences: [],
    });
    expect(spec.code).toBe(0);
  });

  it('names a trust line added by hand and reloaded, with its file and line, then is in sync after the fix', async () => {
    const metrics = join(s.dir, 'drift.prom');
    writeFileSync(metrics, '# HELP other_metric kept\n# TYPE other_metric gauge\nother_metric 7\n');
    s.cluster.writeFile(s.cluster.hbaFile, `host all all 10.0.0.0/8 trust\n${hbaAfterApply}`, 0o600);
    await s.cluster.reload();
    const text = pgharden(['drift', plan, '--metrics', metrics]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `[hba-rule] ${s.cluster.hbaFile}:1: expected scram-sha-256 (or reject) for every network rule, found trust from 10.0.0.0/8`,
    );
    expect(text.stdout).toContain(`${s.cluster.hbaFile}:1: host all all 10.0.0.0/8 trust`);
    expect(text.stdout).toContain(`fix: sed -i '1s/^/# /' '${s.cluster.hbaFile}'`);
    // The line admits the superuser from the network, before the plan's reject rules.
    expect(text.stdout).toContain('[superuser-network] role postgres');
    const cluster = `pg${install.major}-${s.cluster.port}`;
    const prom = readFileSync(metrics, 'utf8');
    expect(prom).toContain(`pgharden_drift_differences{cluster="${cluster}",kind="hba-rule"} 1`);
    expect(prom).toContain(`pgharden_drift_differences{cluster="${cluster}",kind="superuser-network"} 1`);
    expect(prom).toContain(`pgharden_drift_in_sync{cluster="${cluster}"} 0`);
    expect(prom).toMatch(new RegExp(`pgharden_drift_last_run_timestamp_seconds\\{cluster="${cluster}"\\} \\d{10}`));
    expect(prom).toContain('other_metric 7');

    const j = driftJson();
    expect(j.code).toBe(1);
    expect(j.json.inSync).toBe(false);
    expect(j.json.differences.find((d) => d.kind === 'hba-rule')).toMatchObject({
      object: `${s.cluster.hbaFile}:1`,
      evidence: [`${s.cluster.hbaFile}:1: host all all 10.0.0.0/8 trust`],
    });

    // The fix as drift prints it (comment the line out), then a reload.
    const fix = spawnSync('sed', ['-i', '1s/^/# /', s.cluster.hbaFile]);
    expect(fix.status).toBe(0);
    await s.cluster.reload();
    const again = pgharden(['drift', plan, '--metrics', metrics]);
    expect(again.stdout).toContain('In sync');
    expect(again.code).toBe(0);
    expect(readFileSync(metrics, 'utf8')).toContain(`pgharden_drift_in_sync{cluster="${cluster}"} 1`);
    s.cluster.writeFile(s.cluster.hbaFile, hbaAfterApply, 0o600);
    await s.cluster.reload();
  });

  it('names a consumer moved back to its old user, a grant added by hand, a loosened file mode and a new superuser', async () => {
    const env = s.consumerFiles[0]!;
    const before = readFileSync(env, 'utf8');
    const mode = statSync(s.cluster.hbaFile).mode & 0o777;
    writeFileSync(
      env,
      `# agents\nDATABASE_URL=postgres://postgres@127.0.0.1:${s.cluster.port}/workspace\nLOG_LEVEL=info\n`,
    );
    await s.workspace.query('GRANT UPDATE ON agents_kill_switch TO agents_app');
    // A superuser made after apply: the plan's reject rules name only the superusers it saw.
    await s.workspace.query("CREATE ROLE admin2 SUPERUSER LOGIN PASSWORD 'unused-here'");
    chmodSync(s.cluster.hbaFile, 0o644);
    try {
      const j = driftJson();
      expect(j.code).toBe(1);
      const kinds = j.json.differences.map((d) => `${d.kind} ${d.object}`);
      expect(kinds).toEqual(
        expect.arrayContaining([
          'consumer-dsn consumer agents',
          'grant role agents_app in workspace: table public.agents_kill_switch',
          `file-mode ${s.cluster.hbaFile}`,
          'superuser-network role admin2',
        ]),
      );
      expect(j.json.differences.find((d) => d.kind === 'consumer-dsn')!.evidence).toEqual([`${env}:2: user postgres`]);
      expect(j.json.differences.find((d) => d.kind === 'grant')!.fix).toBe(
        `psql -d workspace -c 'REVOKE UPDATE ON "public"."agents_kill_switch" FROM "agents_app"'`,
      );
    } finally {
      writeFileSync(env, before);
      await s.workspace.query('REVOKE UPDATE ON agents_kill_switch FROM agents_app');
      await s.workspace.query('DROP ROLE admin2');
      chmodSync(s.cluster.hbaFile, mode);
    }
    expect(driftJson().json.differences).toEqual([]);
  });

  it('installs a nightly systemd service and timer that run this drift command as the chosen user', () => {
    const units = join(s.dir, 'units');
    const metrics = join(s.dir, 'nightly.prom');
    const r = pgharden([
      'drift',
      '--install-timer',
      '--user',
      'postgres',
      '--unit-dir',
      units,
      plan,
      '--metrics',
      metrics,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Next: systemctl daemon-reload && systemctl enable --now pgharden-drift.timer');
    const service = readFileSync(join(units, 'pgharden-drift.service'), 'utf8');
    expect(service).toContain('User=postgres\n');
    expect(service).toMatch(
      new RegExp(`ExecStart=\\S+node \\S+/dist/bin/pgharden\\.js drift ${plan} --metrics ${metrics}\\n`),
    );
    expect(readFileSync(join(units, 'pgharden-drift.timer'), 'utf8')).toContain('OnCalendar=*-*-* 03:17:00');
    const printed = pgharden(['drift', '--install-timer', '--print', plan]);
    expect(printed.stdout).toMatch(
      /\n17 3 \* \* \* root \S+node \S+\/dist\/bin\/pgharden\.js drift \S+office-vpn >\/dev\/null 2>&1\n/,
    );
  });
});
