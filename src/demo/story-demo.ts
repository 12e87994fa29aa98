/**
 * `pgharden demo`: the whole story on a scratch cluster, through pgharden's own public API,
 * narrated: the hole → audit → plan and review → apply with verification → the negative tests
 * (old paths refused by the server) → rollback drill (the hole is back: the rollback works) →
 * apply again → everything removed. Row counts at each stage show that no data moved.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  apply as applyPlan,
  audit,
  checkBackupTools,
  parseSpec,
  plan as makePlan,
  review as reviewPlan,
  rollback as rollbackPlan,
  VERSION,
  type PgInstall,
} from '../index.js';
import { VPN_DEVICE } from '../fixtures.js';
import { paint, type Output } from '../render/output.js';
import { matrixTable } from '../render/review-text.js';
import { createWorld, rowCounts, type DemoWorld } from './setup.js';
import { negativeTests, type NegativeTest } from './negative.js';

export interface DemoResult {
  /** The negative tests at each stage, as the server answered them. */
  stages: Record<'insecure' | 'hardened' | 'rolledBack' | 'reapplied', NegativeTest[]>;
  rowCounts: string[];
}

export async function runDemo(install: PgInstall, o: Output): Promise<DemoResult> {
  const started = performance.now();
  const say = (text: string) =>
    o.out(`\n${paint(o, 'bold', `[${((performance.now() - started) / 1000).toFixed(1)}s] ${text}`)}`);
  const show = (tests: NegativeTest[], expectClosed: boolean) => {
    // "must still work" tests are the positive control: they pass when the path is open.
    for (const t of tests) {
      const good = t.name.includes('must still work')
        ? t.outcome === 'open'
        : (t.outcome === 'closed') === expectClosed;
      o.out(`  ${paint(o, good ? 'green' : 'red', t.outcome === 'open' ? 'OPEN  ' : 'CLOSED')} ${t.name}: ${t.answer}`);
    }
  };
  say(`Creating the story's scratch cluster with PostgreSQL ${install.major} (${install.source})`);
  const w: DemoWorld = await createWorld(install);
  const counts: string[] = [];
  const result: Partial<DemoResult['stages']> = {};
  try {
    o.out(
      `  data directory ${w.cluster.dataDir}, listening on 127.0.0.1:${w.cluster.port} only; consumer files in ${w.dir}`,
    );
    counts.push(await rowCounts(w));
    o.out(`  rows: ${counts[0]}`);

    say(`The hole: a device on the VPN (${VPN_DEVICE}) as superuser, no password`);
    result.insecure = await negativeTests({ port: w.cluster.port, device: VPN_DEVICE, appRole: 'agents_app' });
    show(result.insecure, false);

    say('pgharden audit');
    const dsn = `postgres://postgres@127.0.0.1:${w.cluster.port}/postgres`;
    for (const f of (await audit({ connection: { dsn } })).findings)
      o.out(
        `  ${paint(o, f.severity === 'critical' || f.severity === 'high' ? 'red' : 'yellow', f.severity.padEnd(8))} ${f.id.padEnd(26)} ${f.title}`,
      );

    say(`pgharden plan --spec ${w.specFile}`);
    o.out(
      readFileSync(w.specFile, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => `  | ${l}`)
        .join('\n'),
    );
    let skipBackup = false;
    try {
      await checkBackupTools(install.major);
    } catch (err) {
      skipBackup = true;
      o.out(`  ${paint(o, 'yellow', 'no verified backup:')} ${(err as Error).message}`);
    }
    const { plan, dir } = await makePlan({
      spec: await parseSpec(readFileSync(w.specFile, 'utf8'), w.specFile),
      specFile: w.specFile,
      out: join(w.dir, 'plans', 'demo'),
      connection: { dsn },
      version: VERSION,
      now: new Date(),
      skipBackup,
    });
    if (!dir) throw new Error('internal: the demo cluster already matches its spec');
    const review = await reviewPlan(dir, { dsn });
    for (const st of review.stages)
      o.out(`  ${st.stage.padEnd(9)} ${st.steps.map((s) => s.id.split('/').slice(1).join('/')).join(', ')}`);
    o.out(
      review
        .redact(review.diffs.find((d) => d.step === 'flip/hba')!.diff)
        .trimEnd()
        .split('\n')
        .slice(4)
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    o.out(
      `  connection matrix, method now → after:\n${matrixTable(plan.matrix.before, plan.matrix.after)
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}`,
    );
    o.out(`  rollback, ready before the first change: ${plan.rollback.command}`);

    const secrets = JSON.parse(readFileSync(join(dir, 'secrets'), 'utf8')) as {
      roles: Record<string, { password: string }>;
    };
    const target = {
      port: w.cluster.port,
      device: VPN_DEVICE,
      appRole: 'agents_app',
      appPassword: secrets.roles.agents_app!.password,
    };
    const apply = async (what: string) => {
      say(what);
      const r = await applyPlan(dir, { version: VERSION, log: () => undefined });
      const checks = r.steps.flatMap((s) => s.results);
      o.out(
        `  ${r.outcome}: ${r.steps.length} steps, ${checks.filter((c) => c.outcome === 'pass').length} checks passed, ${checks.filter((c) => c.outcome === 'fail').length} failed${r.stopped ? `; stopped at ${r.stopped.step}: ${r.stopped.reason}` : ''}`,
      );
      if (r.outcome !== 'applied') throw new Error(`apply ${r.outcome} at ${r.stopped?.step}: ${r.stopped?.reason}`);
      for (const s of r.steps.filter((x) => x.stage === 'verify' || x.id === 'preflight/verified-backup'))
        o.out(`    ${s.id}: ${s.results.filter((c) => c.outcome === 'pass').length}/${s.results.length} passed`);
      const drill = r.steps.find((x) => x.id === 'preflight/verified-backup');
      for (const c of drill?.results.filter((x) => x.description.includes('rows live')) ?? [])
        o.out(`      ${c.description}`);
    };

    await apply('pgharden apply: roles, canary, consumers, flip, verify');
    say('The negative tests on the hardened cluster: the old paths must FAIL');
    result.hardened = await negativeTests(target);
    show(result.hardened, true);
    counts.push(await rowCounts(w));
    o.out(`  rows: ${counts.at(-1)} (${counts.at(-1) === counts[0] ? 'unchanged' : 'CHANGED'})`);

    say('Rollback drill: pgharden rollback (files first with no login, then SQL)');
    const back = await rollbackPlan(dir, (l) => o.out(l));
    o.out(`  ${back.restored.length} files restored, ${back.undone.length} steps undone, ${back.kept.length} kept`);
    // The app role is gone again: only the superuser's old path is asked about.
    result.rolledBack = await negativeTests({ port: w.cluster.port, device: VPN_DEVICE, appRole: 'agents_app' });
    o.out('  the hole is back, as it was: the rollback works');
    show(result.rolledBack, false);
    counts.push(await rowCounts(w));

    await apply('pgharden apply again, after the drill');
    result.reapplied = await negativeTests(target);
    show(result.reapplied, true);
    counts.push(await rowCounts(w));
    o.out(
      `  rows at each stage: ${[...new Set(counts)].length === 1 ? `${counts[0]} every time: no data moved` : counts.join(' | ')}`,
    );
    return { stages: result as DemoResult['stages'], rowCounts: counts };
  } finally {
    await w.workspace.end().catch(() => undefined);
    await w.cluster.stop();
    rmSync(w.dir, { recursive: true, force: true });
    say('Removed the scratch cluster, the consumer files and the plan');
  }
}
