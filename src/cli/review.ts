import { join } from 'node:path';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { CliError, EXIT } from './usage-errors.js';
import type { Output } from '../render/output.js';
import { reviewLines } from '../render/review-text.js';
import { review as reviewPlan, type Review } from '../index.js';

const HELP = `pgharden review — the dry run: exactly what apply would do now, changing nothing

Usage: pgharden review plans/NAME [--dsn URL | --cluster VERSION/NAME] [--json]

Checks that the plan still fits the cluster (same system_identifier, data directory and port;
every file it touches unchanged in content, mode and owner; the roles it creates still absent),
then shows each stage's steps in order with their SQL (passwords and verifiers as <redacted>),
a unified diff for every file, what needs a restart, the connection matrix before and after,
and the one-line rollback. Connects like audit: --dsn, else the libpq environment.

--json prints {"schemaVersion": 1, "plan", "drift", "stages", "diffs", "restartRequired",
"unmapped", "notices", "matrix", "rollback"}.
Exit codes: 0 the plan applies as reviewed; 2 usage, unreadable plan or connection error;
3 refused: drift (each changed item is named), or plan.json edited since it was made.

Examples:
  sudo -u postgres pgharden review plans/office-vpn
  pgharden review plans/office-vpn --json | jq '.stages[] | {stage, steps: [.steps[].id]}'
`;

/** The review as JSON (the stable shape of --json). */
export function reviewJson(r: Review): object {
  const p = r.plan;
  return {
    schemaVersion: 1,
    plan: { id: p.id, name: p.name, dir: r.dir, createdAt: p.createdAt, server: p.server, binding: p.binding },
    drift: r.drift,
    stages: r.stages,
    diffs: r.diffs,
    restartRequired: r.restartRequired,
    unmapped: p.unmapped,
    notices: p.notices,
    matrix: p.matrix,
    rollback: { ...p.rollback, script: join(r.dir, 'rollback.sh') },
  };
}

/**
 * Prints a review (text or JSON) with every secret of the plan redacted, whatever path it took.
 * The text is written as it is rendered, in chunks: it is never held whole.
 */
export async function printReview(r: Review, json: boolean, o: Output): Promise<void> {
  if (json) return o.out(r.redact(JSON.stringify(reviewJson(r), null, 2)));
  let chunk = '';
  for (const line of reviewLines(r, o)) {
    chunk += `${r.redact(line)}\n`;
    if (chunk.length >= 64 * 1024) {
      o.out(chunk);
      chunk = '';
    }
  }
  if (chunk) o.out(chunk);
}

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(argv, { ...CONNECTION_FLAGS, json: { type: 'boolean' } }, 'review');
    const dir = positionals[0];
    if (!dir || positionals.length > 1)
      throw new CliError(
        'review takes one plan directory, e.g. pgharden review plans/office-vpn',
        EXIT.usage,
        'pgharden review --help',
      );
    const review = await reviewPlan(dir, connectionFrom(values));
    await printReview(review, Boolean(values.json), o);
    return review.drift.length ? EXIT.refused : EXIT.ok;
  },
};
