/**
 * `pgharden guide`: the guided session a careful senior DBA would run beside you — connect,
 * audit, then every decision the spec can express as a question with a good default (trusted
 * ranges, listen_addresses, roles and their databases, the tables each may only read from
 * evidence, consumers seen or added by hand with their reload, health and drain timeout, the
 * config file mode), write the spec (never over an existing one without a yes), plan, review
 * stage by stage, apply with live progress, verify, and offer the rollback on any failure.
 * Every answer is saved as it is given, so an interrupted session resumes where it stopped.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { audit, parseSpec, type AuditResult, type ConnectOptions } from '../index.js';
import { paint, table, type Output } from '../render/output.js';
import { askConsumers } from './ask-consumers.js';
import { askNetwork } from './ask-network.js';
import { askRoles } from './ask-roles.js';
import { applyWithProgress, planReviewApply } from './plan-apply.js';
import { questions, type Prompter } from './questions.js';
import { clearState, loadState, recordingPrompter, saveState, type Answer, type GuideState } from './resume.js';
import { specHints } from './spec-hints.js';

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

function showAudit(o: Output, { snapshot, findings, matrix: m }: AuditResult): void {
  o.out(`\nPostgreSQL ${snapshot.major}, connected as ${snapshot.connectedAs}. ${findings.length} findings:`);
  for (const f of findings)
    o.out(
      `  ${paint(o, f.severity === 'critical' || f.severity === 'high' ? 'red' : 'yellow', f.severity.padEnd(8))} ${f.title}`,
    );
  o.out(
    `\nWho gets in how (database ${m.database}):\n${table([['ROLE', ...m.sources.map((s) => s.label)], ...m.roles.map((r) => [r, ...m.sources.map((s) => m.cells[r]![s.label]!)])])}`,
  );
}

/** The answers to replay from a stopped session, or an apply to resume; null to start afresh. */
async function resumeChoice(p: Prompter, o: Output, cwd: string): Promise<GuideState | null> {
  const saved = loadState(cwd);
  if (!saved) return null;
  if (saved.applying && saved.planDir) return saved;
  const last = saved.answers.at(-1);
  if (
    saved.answers.length &&
    (await p.confirm({
      message: `Your last guide session here stopped after ${saved.answers.length} answers (the last: "${last!.message}"). Resume where it stopped?`,
      default: true,
    }))
  )
    return saved;
  clearState(cwd);
  o.out('Starting afresh.');
  return null;
}

/** The spec file to write: harden.yaml unless it exists and is not this session's own and the DBA keeps it. */
async function askSpecFile(p: Prompter, cwd: string, own: string | undefined): Promise<string> {
  let suggested = 'harden.yaml';
  for (let n = 2; ; n += 1) {
    const file = resolve(cwd, (await p.input({ ...questions.specFile, default: suggested })).trim());
    if (!existsSync(file) || file === own || (await p.confirm(questions.overwrite(file)))) return file;
    suggested = `harden-${n}.yaml`;
  }
}

export async function runGuide(raw: Prompter, o: Output, opts: GuideOptions, state: GuideState): Promise<number> {
  o.out(
    paint(
      o,
      'bold',
      'pgharden guide: from trust-over-the-network to least privilege, one decision at a time. Nothing changes until you confirm the apply.',
    ),
  );
  const saved = await resumeChoice(raw, o, opts.cwd);
  const save = () => saveState(opts.cwd, state);
  if (saved?.applying && saved.planDir) {
    Object.assign(state, saved);
    const pick = await raw.select({
      message: `The apply of ${saved.planDir} was interrupted. What now?`,
      choices: [
        { value: 'resume', name: 'resume the apply where it stopped' },
        {
          value: 'leave',
          name: `leave it (later: pgharden apply ${saved.planDir}, or pgharden rollback ${saved.planDir})`,
        },
      ],
    });
    if (pick === 'leave') return 0;
    const code = await applyWithProgress(raw, o, saved.planDir, state, save);
    clearState(opts.cwd);
    return code;
  }
  if (saved?.specFile) state.specFile = saved.specFile;
  const hints: Answer[] = [];
  const p = recordingPrompter(raw, o, state, save, saved?.answers ?? [], new Set([questions.dsn.message]), hints);
  const code = await guided(p, o, opts, state, save, hints);
  if (!state.applying) clearState(opts.cwd);
  return code;
}

/** The values of the spec in `file` as defaults for this session's questions (none when it does not parse). */
async function hintsFrom(file: string, found: AuditResult, o: Output): Promise<Answer[]> {
  try {
    const hints = specHints(await parseSpec(readFileSync(file, 'utf8'), file), found.snapshot);
    o.out(`The defaults below are ${file}'s values where it has them.`);
    return hints;
  } catch (err) {
    o.out(paint(o, 'yellow', `${file} is not a valid spec, so its values are not offered: ${(err as Error).message}`));
    return [];
  }
}

/** Writes the spec whole or not at all: a stop while writing never leaves half a spec. */
function writeSpec(file: string, text: string): void {
  const tmp = `${file}.pgharden-${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

async function guided(
  p: Prompter,
  o: Output,
  opts: GuideOptions,
  state: GuideState,
  save: () => void,
  hints: Answer[],
) {
  const existing = resolve(opts.cwd, 'harden.yaml');
  const keep =
    existsSync(existing) &&
    existing !== state.specFile &&
    (await p.select(questions.existingSpec('harden.yaml'))) === 'keep';
  const found = await connectLoop(p, o, opts.connection);
  showAudit(o, found);
  // Answering again over a spec (an earlier session's or one written by hand): its values are the defaults.
  if (!keep && existsSync(existing)) hints.push(...(await hintsFrom(existing, found, o)));
  const connection = found.dsn ? { dsn: found.dsn } : opts.connection;
  const plan = (specFile: string, to = connection) =>
    planReviewApply(
      p,
      o,
      { specFile, connection: to, cwd: opts.cwd, now: opts.now, major: found.snapshot.major },
      state,
      save,
    );
  if (keep) {
    o.out(`Planning from ${existing} as it is.`);
    const { target } = await parseSpec(readFileSync(existing, 'utf8'), existing);
    // As pgharden plan does: the spec's target unless the command line named one.
    const named = opts.connection.dsn || opts.connection.cluster;
    const own = { ...(target.dsn ? { dsn: target.dsn } : {}), ...(target.cluster ? { cluster: target.cluster } : {}) };
    return plan(existing, named || !Object.keys(own).length ? connection : own);
  }
  const network = await askNetwork(
    p,
    o,
    found.snapshot,
    found.findings.map((f) => f.id),
  );
  const { roles, seen } = await askRoles(p, o, found.snapshot, connection);
  if (roles.length === 0) {
    o.out(
      'No role was given: there is nothing to plan. Run pgharden guide again when your applications are connected, or write a spec by hand (pgharden plan --help).',
    );
    return 0;
  }
  const consumers = await askConsumers(
    p,
    opts.cwd,
    roles.map((r) => r.name),
    seen,
  );
  // The server as it was reached; none given (the libpq environment): no target, never an empty one.
  const target = found.dsn ? { dsn: found.dsn } : opts.connection.cluster ? { cluster: opts.connection.cluster } : null;
  const spec = { ...(target ? { target } : {}), ...network, roles, consumers };
  const specFile = await askSpecFile(p, opts.cwd, state.specFile);
  writeSpec(specFile, `# Written by pgharden guide on ${opts.now.toISOString()}\n${stringify(spec)}`);
  state.specFile = specFile;
  save();
  o.out(`Spec written to ${specFile}.`);
  return plan(specFile);
}
