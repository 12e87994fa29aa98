/**
 * pgharden plan and review against the story's insecure cluster, run as subprocesses: the plan
 * is saved with every stage, no generated password or verifier appears in plan.json or in any
 * output, the review is a dry run that changes nothing, and any drift (an edited file, a
 * tampered plan) makes review refuse with exit 3, naming what changed.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStoryCluster, VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls, type Cluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { hasDumpTools } from '../support/story-plan.js';

const OLD_PASSWORD = 'old-Secret-4711';
const OTHER_SECRET = 'redis-Secret-0815';

describe.each(testedInstalls())('pgharden plan and review on PostgreSQL $major', (install) => {
  // No pg_dump of this major on the machine: plan without the verified backup (said loudly).
  const skip = hasDumpTools(install.major) ? [] : ['--skip-backup'];
  let c: Cluster;
  let dir: string;
  let dsn: string;
  let planDir: string;
  let planRun: ReturnType<typeof pgharden>;
  let secrets: { password: string; verifier: string }[];
  const files = () => ({ env: join(dir, 'agents.env'), yaml: join(dir, 'reporting.yaml') });

  beforeAll(async () => {
    c = await startStoryCluster(install);
    dir = mkdtempSync(join(tmpdir(), 'pgharden-plan-'));
    dsn = `postgres://postgres@127.0.0.1:${c.port}/postgres`;
    writeFileSync(
      files().env,
      // The old password and another service's secret: a review shows neither (trust ignores the first).
      `# agents\nREDIS_PASSWORD=${OTHER_SECRET}\nDATABASE_URL=postgres://postgres:${OLD_PASSWORD}@127.0.0.1:${c.port}/workspace\nLOG_LEVEL=info\n`,
    );
    writeFileSync(
      files().yaml,
      `report:\n  title: weekly\ndatabase:\n  url: "postgres://postgres@127.0.0.1:${c.port}/workspace?sslmode=disable"\n`,
    );
    writeFileSync(
      join(dir, 'harden.yaml'),
      [
        'target:',
        `  dsn: ${dsn}`,
        'network:',
        `  trustedRanges: [${VPN_RANGE}]`,
        'roles:',
        '  - { name: agents_app, template: app-readwrite, databases: [workspace], readOnlyTables: [agents_kill_switch] }',
        '  - { name: reporting, template: readonly, databases: [workspace] }',
        '  - { name: deployer, template: migrator, databases: [workspace] }',
        'consumers:',
        '  - { name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, application: agents }',
        '  - { name: weekly-report, file: reporting.yaml, role: reporting }',
        '',
      ].join('\n'),
    );
    planDir = join(dir, 'plans', 'office-vpn');
    planRun = pgharden(['plan', '--spec', join(dir, 'harden.yaml'), '--out', planDir, ...skip]);
    const text = readFileSync(join(planDir, 'secrets'), 'utf8');
    secrets = Object.values(
      (JSON.parse(text) as { roles: Record<string, { password: string; verifier: string }> }).roles,
    );
  });
  afterAll(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('saves the plan, its 0600 secrets and the shell rollback, and prints the review of every stage', () => {
    expect(planRun.stderr).toContain(`Plan saved in ${planDir}`);
    expect(planRun.code).toBe(0);
    expect(statSync(planDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(planDir, 'secrets')).mode & 0o777).toBe(0o600);
    expect(statSync(join(planDir, 'rollback.sh')).mode & 0o777).toBe(0o700);
    for (const stage of ['preflight', 'roles', 'canary', 'consumers', 'flip', 'verify'])
      expect(planRun.stdout).toMatch(new RegExp(`Stage \\d/6: ${stage} `));
    expect(planRun.stdout).toContain(`PASSWORD '<redacted>'`);
    expect(planRun.stdout).toContain('Binding holds');
    expect(planRun.stdout).toContain(`pgharden rollback ${planDir}`);
    expect(secrets).toHaveLength(3);
  });

  it('never writes a generated password or verifier into plan.json or any output', () => {
    const planJson = readFileSync(join(planDir, 'plan.json'), 'utf8');
    const review = pgharden(['review', planDir, '--dsn', dsn, '--json']);
    for (const s of secrets) {
      for (const text of [
        planJson,
        planRun.stdout,
        planRun.stderr,
        review.stdout,
        review.stderr,
        readFileSync(join(planDir, 'rollback.sh'), 'utf8'),
      ]) {
        expect(text).not.toContain(s.password);
        expect(text).not.toContain(s.verifier.split('$')[2]!);
      }
    }
    const text = pgharden(['review', planDir, '--dsn', dsn]);
    for (const out of [planRun.stdout, review.stdout, text.stdout]) {
      expect(out).toContain('REDIS_PASSWORD=<redacted>');
      expect(out).not.toContain(OLD_PASSWORD);
      expect(out).not.toContain(OTHER_SECRET);
    }
  });

  it('reviews as a dry run: diffs for pg_hba.conf and each consumer file, redacted, and nothing changed', async () => {
    const before = { hba: readFileSync(c.hbaFile, 'utf8'), env: readFileSync(files().env, 'utf8') };
    const r = pgharden(['review', planDir, '--dsn', dsn, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      drift: unknown[];
      stages: { stage: string; steps: { id: string }[] }[];
      diffs: { step: string; path: string; diff: string }[];
    };
    expect(json.drift).toEqual([]);
    expect(json.stages.map((s) => s.stage)).toEqual(['preflight', 'roles', 'canary', 'consumers', 'flip', 'verify']);
    const diff = (step: string) => json.diffs.find((d) => d.step === step)!.diff;
    expect(diff('canary/hba')).toContain(
      '+host    workspace       agents_app      127.10.0.0/16           scram-sha-256',
    );
    expect(diff('flip/hba')).toContain('+host    all             postgres        0.0.0.0/0               reject');
    expect(diff('flip/hba')).toContain('-host    all             all             127.10.0.0/16           trust');
    expect(diff('consumers/agents/rewrite')).toContain(
      `+DATABASE_URL=postgres://agents_app:<redacted>@127.0.0.1:${c.port}/workspace`,
    );
    expect(diff('consumers/weekly-report/rewrite')).toContain(
      `+  url: "postgres://reporting:<redacted>@127.0.0.1:${c.port}/workspace?sslmode=disable"`,
    );
    expect(json.diffs.find((d) => d.step === 'flip/mode-postgresql.conf')).toMatchObject({
      mode: { before: 0o644, after: 0o600 },
    });
    // A dry run: the server has no new role, the files are as they were.
    expect(
      await c.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname IN ('agents_app', 'reporting', 'deployer')"),
    ).toEqual([{ n: 0 }]);
    expect(readFileSync(c.hbaFile, 'utf8')).toBe(before.hba);
    expect(readFileSync(files().env, 'utf8')).toBe(before.env);
  });

  it('refuses (exit 3) once a file the plan touches has changed, naming it', () => {
    const original = readFileSync(files().env, 'utf8');
    appendFileSync(files().env, 'EXTRA=1\n');
    try {
      const r = pgharden(['review', planDir, '--dsn', dsn]);
      expect(r.code).toBe(3);
      expect(r.stdout).toContain(`${files().env} content: planned sha256`);
    } finally {
      writeFileSync(files().env, original);
    }
    appendFileSync(c.hbaFile, '# edited by hand\n');
    const r = pgharden(['review', planDir, '--dsn', dsn]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`${c.hbaFile} content`);
  });

  it('refuses a plan.json edited after it was made', () => {
    const file = join(planDir, 'plan.json');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('"trustedRanges":["127.10.0.0/16"]', '"trustedRanges":["0.0.0.0/0"]'));
    try {
      const r = pgharden(['review', planDir, '--dsn', dsn]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('has been edited since it was made');
    } finally {
      writeFileSync(file, original);
    }
  });

  it('lists every spec problem at once (exit 2) and refuses to overwrite a plan', () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      `target: {dsn: "${dsn}"}\nnetwork: {trustedRanges: [10.0.0.0/33]}\nroles: [{name: x, template: readonly, databases: [nope], colour: red}]\n`,
    );
    const bad = pgharden(['plan', '--spec', join(dir, 'bad.yaml'), '--out', join(dir, 'plans', 'bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('network.trustedRanges[0]: must be an address range in CIDR form');
    expect(bad.stderr).toContain('roles[0]: unknown key "colour"');
    const again = pgharden(['plan', '--spec', join(dir, 'harden.yaml'), '--out', planDir, ...skip]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already holds a plan');
  });
});
