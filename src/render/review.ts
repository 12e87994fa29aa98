/** The review as a DBA reads it: stages in order, SQL and diffs under their step, then the matrix and the rollback. */
import { join } from 'node:path';
import { ROLLBACK_FILE, type ConnectionMatrix, type Review } from '../index.js';
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

export function renderReview(r: Review, o: Output): string {
  const p = r.plan;
  const lines: string[] = [];
  lines.push(paint(o, 'bold', `Plan ${p.name} (id ${p.id.slice(0, 12)}), made ${p.createdAt}`));
  lines.push(
    `PostgreSQL ${p.server.major}, system ${p.binding.systemIdentifier}, data directory ${p.binding.dataDirectory}, port ${p.binding.port}`,
  );
  if (r.drift.length) {
    lines.push(
      '',
      paint(
        o,
        'red',
        `DRIFT: the cluster or its files changed since the plan was made (${r.drift.length}); apply would refuse this plan:`,
      ),
    );
    for (const d of r.drift) lines.push(`  - ${d.item}: planned ${d.planned}, now ${d.now}`);
    lines.push(
      'Make a new plan from the current state (pgharden plan --spec ...), or put the items back as they were.',
    );
  } else {
    lines.push(
      paint(
        o,
        'green',
        `Binding holds: same cluster, and the ${p.binding.files.length} files the plan touches are as they were.`,
      ),
    );
  }
  let n = 0;
  r.stages.forEach((st, i) => {
    lines.push(
      '',
      paint(
        o,
        'bold',
        `Stage ${i + 1}/${r.stages.length}: ${st.stage} (${st.steps.length} step${st.steps.length === 1 ? '' : 's'})`,
      ),
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
      lines.push(`  [${n}] ${s.id} (${flags})`, `      ${s.description}`);
      for (const sql of s.sql) lines.push(`      ${sql};`);
      // Long probe lists (one per role and source) are cut; --json has them all.
      for (const c of s.checks.slice(0, MAX_CHECKS)) lines.push(`      check: ${c}`);
      if (s.checks.length > MAX_CHECKS)
        lines.push(`      … and ${s.checks.length - MAX_CHECKS} more checks (--json lists them all)`);
      for (const d of r.diffs.filter((x) => x.step === s.id)) {
        if (d.mode) lines.push(`      mode ${octal(d.mode.before)} → ${octal(d.mode.after)}  ${d.path}`);
        else
          lines.push(
            ...d.diff
              .trimEnd()
              .split('\n')
              .map(
                (l) =>
                  `      ${l.startsWith('+') && !l.startsWith('+++') ? paint(o, 'green', l) : l.startsWith('-') && !l.startsWith('---') ? paint(o, 'red', l) : l}`,
              ),
          );
      }
    }
  });
  lines.push(
    '',
    paint(o, 'bold', 'Restart required'),
    r.restartRequired.length
      ? r.restartRequired.map((x) => `  ${x}`).join('\n')
      : '  nothing: every change takes effect with a reload',
  );
  if (p.unmapped.length) {
    lines.push('', paint(o, 'bold', 'Login roles the spec does not map, and what the flip does to them'));
    for (const u of p.unmapped) lines.push(`  ${u.role}${u.superuser ? ' (superuser)' : ''}: ${u.fate}`);
  }
  if (p.notices.length) lines.push('', paint(o, 'bold', 'Notices'), ...p.notices.map((x) => `  ${x}`));
  // A pitr plan changes no rule: it has no connection matrix to show.
  if (p.purpose !== 'pitr') {
    lines.push(
      '',
      paint(
        o,
        'bold',
        `Connection matrix, database ${p.matrix.after.database}: method now → after the plan (predicted from the rules)`,
      ),
    );
    lines.push(
      matrixTable(p.matrix.before, p.matrix.after)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  lines.push('', paint(o, 'bold', 'Rollback, ready before the first change'));
  lines.push(`  ${p.rollback.command}`, `  without pgharden: sh ${join(r.dir, ROLLBACK_FILE)}`);
  return lines.join('\n');
}
