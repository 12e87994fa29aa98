/**
 * What apply re-derives and holds for the whole cluster: a superuser created between plan and
 * apply refuses the apply before any change (the flip's reject rules would not name it), and a
 * new plan covers it; two plans applied at once on one cluster: the second is refused before any
 * change, naming the holder.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/hba/probe.js';
import { VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import {
  fileIdentity,
  hasDumpTools,
  makeStoryPlan,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';

describe.each(testedInstalls())('one cluster, one apply, on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  const skip = () => (hasDumpTools(s.cluster.major) ? [] : ['--skip-backup']);
  const roles = async () =>
    (await s.cluster.query<{ r: string }>("SELECT rolname AS r FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1")).map(
      (x) => x.r,
    );
  const journal = (dir: string) => (existsSync(join(dir, 'journal')) ? readFileSync(join(dir, 'journal'), 'utf8') : '');
  const files = () => fileIdentity([s.cluster.hbaFile, s.cluster.confFile, ...s.consumerFiles]);
  beforeAll(async () => {
    s = await storyWithConsumers(install);
  });
  afterAll(async () => s?.cleanup());

  it('refuses a plan made before a superuser was created, before any change; a new plan rejects it over TCP', async () => {
    const stale = makeStoryPlan(s, 'before-admin2');
    await s.cluster.query("CREATE ROLE admin2 SUPERUSER LOGIN PASSWORD 'admin2-pw'");
    const before = { files: files(), roles: await roles() };
    const r = pgharden(['apply', stale, '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "superuser admin2 (LOGIN) was created after the plan was made: the flip's reject rules name only postgres, so admin2 would keep its network access",
    );
    expect({ files: files(), roles: await roles() }).toEqual(before);
    expect(journal(stale)).not.toContain('"intent"');

    const fresh = makeStoryPlan(s, 'with-admin2');
    const applied = pgharden(['apply', fresh, '--yes']);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    for (const host of ['127.0.0.1', '127.10.0.7'])
      expect(
        await probe({
          host: '127.0.0.1',
          port: s.cluster.port,
          localAddress: host,
          user: 'admin2',
          database: 'postgres',
        }),
      ).toMatchObject({ kind: 'error' });
    expect(pgharden(['rollback', fresh]).code).toBe(0);
    await s.cluster.query('DROP ROLE admin2');
  });

  it('refuses a second plan while another applies on the same cluster, before any change, naming the holder', async () => {
    const stop = join(s.dir, 'first.stop');
    const started = join(s.dir, 'first.started');
    // The first plan's consumer reload waits until the test lets it go: its apply holds the cluster meanwhile.
    const first = makeStoryPlanWith(s, 'first', [
      '  - { name: first_app, template: readonly, databases: [workspace] }',
      'consumers:',
      `  - { name: agents, file: agents.env, key: DATABASE_URL, role: first_app, reload: [sh, -c, "touch ${started}; while ! test -e ${stop}; do sleep 0.1; done"] }`,
    ]);
    const second = makeStoryPlanWith(s, 'second', [
      '  - { name: second_app, template: readonly, databases: [workspace] }',
    ]);
    const running = pghardenAsync(['apply', first, '--yes']);
    try {
      for (let i = 0; i < 6000 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(started)).toBe(true);
      const hba = readFileSync(s.cluster.hbaFile);
      const r = pgharden(['apply', second, '--yes']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('another apply runs on this cluster');
      expect(r.stderr).toMatch(/is held by pid \d+ on .* \(apply .*first --yes\)/);
      expect(await roles()).not.toContain('second_app');
      expect(readFileSync(s.cluster.hbaFile)).toEqual(hba);
      expect(journal(second)).not.toContain('"intent"');
    } finally {
      writeFileSync(stop, '');
    }
    const done = await running;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(pgharden(['rollback', first]).code).toBe(0);
  });

  /** A plan of the story's spec with these role (and consumer) lines in place of its own. */
  function makeStoryPlanWith(setup: StoryPlanSetup, name: string, lines: string[]): string {
    const spec = join(setup.dir, `${name}.yaml`);
    writeFileSync(
      spec,
      [`target: { dsn: "${setup.dsn}" }`, `network: { trustedRanges: [${VPN_RANGE}] }`, 'roles:', ...lines, ''].join(
        '\n',
      ),
    );
    const out = join(setup.dir, 'plans', name);
    const r = pgharden(['plan', '--spec', spec, '--out', out, ...skip()]);
    if (r.code !== 0) throw new Error(`plan failed (${r.code}): ${r.stderr}`);
    return out;
  }
});
