/**
 * `pgharden guide`: the guided session a careful senior DBA would run beside you — connect,
 * audit, choose trusted ranges, one least-privilege role per consumer seen, map each to its
 * config file, write the spec, plan, review stage by stage, apply with live progress, verify,
 * and offer the rollback on any failure. `state` records how far it got, so an interruption
 * can say exactly what exists and how to resume.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import {
  apply,
  audit,
  checkBackupTools,
  parseSpec,
  plan as makePlan,
  reportText,
  review as reviewPlan,
  rollback,
  scanConsumers,
  VERSION,
  type AuditResult,
  type ConnectOptions,
} from '../index.js';
import { paint, table, type Output } from '../render/output.js';
import { renderReview } from '../render/review.js';
import { questions, type Prompter } from './questions.js';
import { suggestRanges, suggestRoles } from './suggest.js';

export interface GuideState {
  specFile?: string;
  planDir?: string;
  applying?: boolean;
}

export interface GuideOptions {
  connection: ConnectOptions;
  cwd: string;
  now: Date;
}

async function connectLoop(
  p: Prompter,
  o: Output,
  connection: ConnectOptions,
): Promise<AuditResult & { dsn?: string }> {
  let dsn = connection.dsn;
  for (;;) {
    try {
      return { ...(await audit({ connection: dsn ? { dsn } : connection })), ...(dsn ? { dsn } : {}) };
    } catch (err) {
      o.out(paint(o, 'yellow', (err as Error).message));
      dsn = (await p.input(questions.dsn)).trim();
    }
  }
}

export async function runGuide(p: Prompter, o: Output, opts: GuideOptions, state: GuideState): Promise<number> {
  o.out(
    paint(
      o,
      'bold',
      'pgharden guide: from trust-over-the-network to least privilege, one decision at a time. Nothing changes until you confirm the apply.',
    ),
  );
  const { snapshot, findings, matrix: m, dsn } = await connectLoop(p, o, opts.connection);
  o.out(`\nPostgreSQL ${snapshot.major}, connected as ${snapshot.connectedAs}. ${findings.length} findings:`);
  for (const f of findings)
    o.out(
      `  ${paint(o, f.severity === 'critical' || f.severity === 'high' ? 'red' : 'yellow', f.severity.padEnd(8))} ${f.title}`,
    );
  o.out(
    `\nWho gets in how (database ${m.database}):\n${table([['ROLE', ...m.sources.map((s) => s.label)], ...m.roles.map((r) => [r, ...m.sources.map((s) => m.cells[r]![s.label]!)])])}`,
  );

  const suggestions = suggestRanges(snapshot);
  const ranges: string[] = suggestions.length
    ? await p.checkbox({
        message: 'Trusted ranges: where your consumers connect from',
        choices: suggestions.map((s) => ({
          value: s.range,
          name: `${s.range}  (${s.why})`,
          checked: s.why.startsWith('clients'),
        })),
        required: false,
      })
    : [];
  for (;;) {
    const extra = (await p.input(questions.extraRange)).trim();
    if (!extra) {
      if (ranges.length) break;
      o.out(paint(o, 'yellow', 'At least one trusted range is needed.'));
      continue;
    }
    ranges.push(extra);
  }

  const existing = new Set(snapshot.roles.map((r) => r.name));
  const roles: { name: string; template: string; databases: string[] }[] = [];
  const wanted: { role: string; user: string; application: string }[] = [];
  for (const s of suggestRoles(snapshot)) {
    const c = s.consumer;
    if (
      !(await p.confirm({
        message: `${c.application || '(no application_name)'} connects as ${c.user} from ${c.clientAddress} to ${c.database}. Give it its own role?`,
        default: true,
      }))
    )
      continue;
    const name = (await p.input(questions.roleName(s.name, existing))).trim();
    const template = await p.select(questions.template(s.template));
    existing.add(name);
    roles.push({ name, template, databases: [c.database] });
    wanted.push({ role: name, user: c.user, application: c.application });
  }
  if (roles.length === 0) {
    o.out(
      'No consumer was given a role: there is nothing to plan. Run pgharden guide again when your applications are connected, or write a spec by hand (pgharden plan --help).',
    );
    return 0;
  }

  const dirs = (await p.input(questions.scanDirs(opts.cwd))).trim().split(/\s+/).filter(Boolean);
  const found = (await scanConsumers(dirs.map((d) => resolve(opts.cwd, d)))).filter((f) => f.kind !== 'pgvar');
  const consumers: Record<string, unknown>[] = [];
  for (const w of wanted) {
    const choices = [
      ...found.map((f, i) => ({ value: String(i), name: `${f.file}:${f.line}  ${f.key ?? ''} ${f.shown}` })),
      { value: 'none', name: 'none of these (I will move it by hand)' },
    ];
    const pick = await p.select({
      message: `Which file holds ${w.application || w.user}'s connection string (it moves to ${w.role})?`,
      choices,
      default: String(found.findIndex((f) => f.user === w.user)),
    });
    if (pick === 'none') continue;
    const f = found[Number(pick)]!;
    consumers.push({
      name: w.application || w.role,
      file: f.file,
      ...(f.key ? { key: f.key } : {}),
      role: w.role,
      ...(w.application ? { application: w.application } : {}),
    });
  }

  const spec = {
    target: dsn ? { dsn } : {},
    network: { trustedRanges: ranges, superuser: 'local-only' },
    roles,
    consumers,
  };
  const specFile = resolve(opts.cwd, (await p.input(questions.specFile)).trim());
  writeFileSync(specFile, `# Written by pgharden guide on ${opts.now.toISOString()}\n${stringify(spec)}`);
  state.specFile = specFile;
  o.out(`Spec written to ${specFile}.`);

  const connection = dsn ? { dsn } : opts.connection;
  const out = join(
    opts.cwd,
    'plans',
    `guide-${opts.now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`,
  );
  let skipBackup = false;
  try {
    await checkBackupTools(snapshot.major);
  } catch (err) {
    o.out(paint(o, 'yellow', (err as Error).message));
    if (
      !(await p.confirm({
        message: 'Go on without a verified backup? (recorded in the plan and the report)',
        default: false,
      }))
    ) {
      o.out(`Nothing was changed. Install the client tools, then: pgharden plan --spec ${specFile}`);
      return 0;
    }
    skipBackup = true;
  }
  const { dir } = await makePlan({
    spec: await parseSpec(readFileSync(specFile, 'utf8'), specFile),
    specFile,
    out,
    connection,
    version: VERSION,
    now: opts.now,
    skipBackup,
  });
  state.planDir = dir;
  const review = await reviewPlan(dir, connection);
  // The review, one stage at a time: each is confirmed before the next is shown.
  const text = review.redact(renderReview(review, o));
  const parts = text.split(/\n(?=\S*Stage \d\/6|\S*Restart required)/);
  for (const [i, part] of parts.entries()) {
    o.out(part);
    if (
      i > 0 &&
      i <= review.stages.length &&
      !(await p.confirm({ message: `Stage ${i}/${review.stages.length} looks right?`, default: true }))
    ) {
      o.out(
        `Nothing was changed. The plan is saved in ${dir}; edit ${specFile} and run pgharden plan --spec ${specFile} again.`,
      );
      return 0;
    }
  }
  if (
    !(await p.confirm({ message: `Apply the plan now? (rollback: ${review.plan.rollback.command})`, default: false }))
  ) {
    o.out(`Nothing was changed. When ready: pgharden apply ${dir}`);
    return 0;
  }
  state.applying = true;
  const started = Date.now();
  const r = await apply(dir, {
    version: VERSION,
    log: (l) => o.out(`${l}  ${((Date.now() - started) / 1000).toFixed(1)} s`),
  });
  o.out(await reportText(r.plan, r.steps));
  if (r.outcome === 'applied') {
    o.out(
      paint(
        o,
        'green',
        `Applied and verified. Report: ${join(dir, 'report.txt')}. To undo: ${r.plan.rollback.command}`,
      ),
    );
    return 0;
  }
  o.out(paint(o, 'red', `Apply stopped at ${r.stopped?.step}: ${r.stopped?.reason}`));
  if (await p.confirm({ message: 'Roll back everything now?', default: true })) {
    const back = await rollback(dir, (l) => o.out(l));
    o.out(
      `${back.restored.length} files restored, ${back.undone.length} steps undone${back.kept.length ? `; kept: ${back.kept.join('; ')}` : ''}.`,
    );
  } else {
    o.out(`Left as it is. Resume with pgharden apply ${dir}, or undo with pgharden rollback ${dir}.`);
  }
  return r.outcome === 'refused' ? 3 : 1;
}
