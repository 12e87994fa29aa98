/** The review as a DBA reads it: stages in order, SQL and diffs under their step, then the matrix and the rollback. */
import { join } from 'node:path';
import { ROLLBACK_FILE, type ConnectionMatrix, type FileDiff, type Review } from '../index.js';
import { paint, table, type Output } from './output.js';

const octal = (m: number) => m.toString(8).padStart(4, '0');
const MAX_CHECKS = 12;

/** Before → after per cell; one value where nothing changes. */
export function matrixTable(before: ConnectionMatrix, after: ConnectionMatrix): string {
  const roles = [...new Set([...before.roles, ...after.roles])].sort();
  const labels = [...new Set([...before.sources, ...after.sources].map((s) => s.label))];
  const cell = (m: ConnectionMatrix, r: string, l: string) =>
    m.cells[r]?.[l] ?? (m.roles.includes(r) ? 'no entry' : '(no role)');
  return table([
    ['ROLE', ...labels],
    ...roles.map((r) => [
      r,
      ...labels.map((l) => {
        const a = cell(before, r, l);
        const b = cell(after, r, l);
        return a === b ? a : `${a} → ${b}`;
      }),
    ]),
  ]);
}

/** Lines of a file's diff the text review shows; the rest is counted, and --json has it whole. */
export const MAX_DIFF_LINES = 400;

/**
 * The first `max` lines of `text` one at a time, without splitting the whole text (a diff of a
 * 100,000-line pg_hba.conf is megabytes), then how many lines were left out.
 */
function* firstLines(text: string, max: number): Generator<string, number> {
  let at = 0;
  let shown = 0;
  while (at < text.length && shown < max) {
    const end = text.indexOf('\n', at);
    yield text.slice(at, end === -1 ? text.length : end);
    shown += 1;
    at = end === -1 ? text.length : end + 1;
  }
  let left = 0;
  for (let i = at; i < text.length; i = text.indexOf('\n', i) + 1 || text.length) left += 1;
  return left;
}

/** One file's diff as the review shows it: coloured, indented, cut after MAX_DIFF_LINES lines with where to see all of it. */
function* diffLines(d: FileDiff, index: number, dir: string, o: Output): Generator<string> {
  const lines = firstLines(d.diff.trimEnd(), MAX_DIFF_LINES);
  for (let next = lines.next(); ; next = lines.next()) {
    if (next.done) {
      if (next.value > 0)
        yield `      … ${next.value.toLocaleString('en-US')} more lines of this diff not shown; the full diff: pgharden review ${dir} --json | jq -r '.diffs[${index}].diff'`;
      return;
    }
    const l = next.value;
    yield `      ${l.startsWith('+') && !l.startsWith('+++') ? paint(o, 'green', l) : l.startsWith('-') && !l.startsWith('---') ? paint(o, 'red', l) : l}`;
  }
}

/**
 * The review, line by line: nothing is built whole, and no array is spread into a call, so a plan
 * for a file of any size renders in bounded memory (each diff is cut after MAX_DIFF_LINES lines).
 */
export function* reviewLines(r: Review, o: Output): Generator<string> {
  const p = r.plan;
  yield paint(o, 'bold', `Plan ${p.name} (id ${p.id.slice(0, 12)}), made ${p.createdAt}`);
  yield `PostgreSQL ${p.server.major}, system ${p.binding.systemIdentifier}, data directory ${p.binding.dataDirectory}, port ${p.binding.port}`;
  if (r.drift.length) {
    yield '';
    yield paint(
      o,
      'red',
      `DRIFT: the cluster or its files changed since the plan was made (${r.drift.length}); apply would refuse this plan:`,
    );
    for (const d of r.drift) yield `  - ${d.item}: planned ${d.planned}, now ${d.now}`;
    yield 'Make a new plan from the current state (pgharden plan --spec ...), or put the items back as they were.';
  } else {
    yield paint(
      o,
      'green',
      `Binding holds: same cluster, and the ${p.binding.files.length} files the plan touches are as they were.`,
    );
  }
  const diffsOf = new Map<string, { d: FileDiff; index: number }[]>();
  r.diffs.forEach((d, index) => {
    const list = diffsOf.get(d.step);
    if (list) list.push({ d, index });
    else diffsOf.set(d.step, [{ d, index }]);
  });
  let n = 0;
  for (const [i, st] of r.stages.entries()) {
    yield '';
    yield paint(
      o,
      'bold',
      `Stage ${i + 1}/${r.stages.length}: ${st.stage} (${st.steps.length} step${st.steps.length === 1 ? '' : 's'})`,
    );
    for (const s of st.steps) {
      n += 1;
      const flags = [
        s.kind,
        s.transactional ? 'one transaction' : '',
        s.restartRequired ? paint(o, 'yellow', 'RESTART REQUIRED') : '',
      ]
        .filter(Boolean)
        .join(', ');
      yield `  [${n}] ${s.id} (${flags})`;
      yield `      ${s.description}`;
      for (const sql of s.sql) yield `      ${sql};`;
      // Long probe lists (one per role and source) are cut; --json has them all.
      for (const c of s.checks.slice(0, MAX_CHECKS)) yield `      check: ${c}`;
      if (s.checks.length > MAX_CHECKS)
        yield `      … and ${s.checks.length - MAX_CHECKS} more checks (--json lists them all)`;
      for (const { d, index } of diffsOf.get(s.id) ?? []) {
        if (d.mode) yield `      mode ${octal(d.mode.before)} → ${octal(d.mode.after)}  ${d.path}`;
        else yield* diffLines(d, index, r.dir, o);
      }
    }
  }
  yield '';
  yield paint(o, 'bold', 'Restart required');
  if (r.restartRequired.length) for (const x of r.restartRequired) yield `  ${x}`;
  else yield '  nothing: every change takes effect with a reload';
  if (p.unmapped.length) {
    yield '';
    yield paint(o, 'bold', 'Login roles the spec does not map, and what the flip does to them');
    for (const u of p.unmapped) yield `  ${u.role}${u.superuser ? ' (superuser)' : ''}: ${u.fate}`;
  }
  if (p.notices.length) {
    yield '';
    yield paint(o, 'bold', 'Notices');
    for (const x of p.notices) yield `  ${x}`;
  }
  // A pitr plan changes no rule: it has no connection matrix to show.
  if (p.purpose !== 'pitr') {
    yield '';
    yield paint(
      o,
      'bold',
      `Connection matrix, database ${p.matrix.after.database}: method now → after the plan (predicted from the rules)`,
    );
    for (const l of matrixTable(p.matrix.before, p.matrix.after).split('\n')) yield `  ${l}`;
  }
  yield '';
  yield paint(o, 'bold', 'Rollback, ready before the first change');
  yield `  ${p.rollback.command}`;
  yield `  without pgharden: sh ${join(r.dir, ROLLBACK_FILE)}`;
}

/** The review as one text (bounded: see reviewLines). */
export function renderReview(r: Review, o: Output): string {
  const lines: string[] = [];
  for (const line of reviewLines(r, o)) lines.push(line);
  return lines.join('\n');
}
