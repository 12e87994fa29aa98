/**
 * Rollback runs what each started step's `undo` says, whatever the step is called: steps of
 * made-up ids and a chmod to a mode no planner writes are undone as their data says, files first
 * and with no login (there is no server here at all: the reload that follows is reported as not
 * done, with the command to run).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal } from '../../../src/execute/journal.js';
import { rollbackPlan } from '../../../src/execute/rollback-plan.js';
import { observeFile } from '../../../src/plan/binding.js';
import { buildPlan, planId } from '../../../src/plan/planner.js';
import { newPlanKey, newSecrets, secretsText, writeSecrets } from '../../../src/plan/secrets.js';
import { createPlanDir, savePlan, SECRETS_FILE } from '../../../src/plan/store.js';
import type { Plan, Step } from '../../../src/plan/plan-types.js';
import { storyInput } from '../plan/fixtures.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pgharden-rollback-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const fileStep = (id: string, undo: Step['undo']): Step => ({
  id,
  stage: 'flip',
  kind: 'file',
  description: id,
  forward: { do: 'chmod', path: '/nowhere', mode: 0o600 },
  verify: [],
  undo,
  before: [{ of: 'none' }],
  after: [{ of: 'none' }],
  transactional: false,
  restartRequired: false,
});

/** A saved plan of these steps over files in `root`, whose server has no socket and no postmaster. */
async function planOf(steps: Step[], files: string[]): Promise<string> {
  const dir = join(root, 'plan');
  const made = buildPlan(await storyInput({ planDir: dir, name: 'undo-data' }));
  const body = {
    ...made,
    server: { ...made.server, socketDir: null, dataDirectory: root },
    binding: { ...made.binding, dataDirectory: root, files: files.map(observeFile) },
    steps,
  };
  const plan = { ...body, id: planId(body as Plan) } as Plan;
  const key = newPlanKey();
  createPlanDir(dir);
  writeSecrets(join(dir, SECRETS_FILE), secretsText(newSecrets(['agents_app']), key));
  savePlan(dir, plan, key);
  return dir;
}

/** The journal of a run that started these steps and finished those marked done. */
function started(dir: string, steps: Step[], done: string[]): void {
  const j = openJournal(join(dir, 'journal'));
  j.append({ type: 'run-start', planId: 'p', pid: 1, host: 'h', version: 'test' });
  for (const s of steps) {
    j.append({ type: 'intent', stepId: s.id, undo: s.undo });
    if (done.includes(s.id)) j.append({ type: 'done', stepId: s.id, after: s.after });
  }
}

const modeOf = (p: string) => statSync(p).mode & 0o7777;

describe("rollback executes the plan's undo data", () => {
  it("restores and chmods as each started step's undo says, in reverse, without a login", async () => {
    const conf = join(root, 'app.conf');
    const other = join(root, 'other.conf');
    const third = join(root, 'third.conf');
    writeFileSync(third, 'third\n');
    chmodSync(third, 0o644);
    writeFileSync(conf, 'old\n', { mode: 0o640 });
    writeFileSync(other, 'other\n', { mode: 0o644 });
    chmodSync(conf, 0o640);
    chmodSync(other, 0o644);
    const steps = [
      fileStep('anything/write-app', { do: 'restore-file', path: conf, backup: 'backup/saved-app.conf' }),
      fileStep('anything/tighten-other', { do: 'chmod', path: other, mode: 0o604 }),
      fileStep('anything/reload', { do: 'reload' }),
      fileStep('anything/never-started', { do: 'chmod', path: conf, mode: 0o400 }),
      fileStep('anything/refused-for-drift', { do: 'chmod', path: third, mode: 0o400 }),
    ];
    const dir = await planOf(steps, [conf, other, third]);
    mkdirSync(join(dir, 'backup'), { recursive: true });
    writeFileSync(join(dir, 'backup', 'saved-app.conf'), 'old\n', { mode: 0o640 });
    chmodSync(join(dir, 'backup', 'saved-app.conf'), 0o640);
    // What apply did: new bytes and mode for one file, a tighter mode for the other.
    writeFileSync(conf, 'new\n');
    chmodSync(conf, 0o600);
    chmodSync(other, 0o600);
    started(dir, steps.slice(0, 3), ['anything/write-app', 'anything/reload']);
    // Apply refuses a step whose before-state does not hold: failed, with no intent; it did nothing.
    openJournal(join(dir, 'journal')).append({
      type: 'failed',
      stepId: 'anything/refused-for-drift',
      error: 'drift: …',
    });

    const log: string[] = [];
    const r = await rollbackPlan(dir, (l) => log.push(l));
    expect(readFileSync(conf, 'utf8')).toBe('old\n');
    expect(modeOf(conf)).toBe(0o640);
    // The undo's own mode, though the step stopped at its intent: the chmod may have happened.
    expect(modeOf(other)).toBe(0o604);
    expect(modeOf(third)).toBe(0o644);
    expect(r.restored).toEqual([other, conf]);
    expect(r.undone).toEqual([]);
    expect(r.kept).toEqual([
      expect.stringMatching(
        /^anything\/reload: the server was not told to reload \(.*no Unix socket.*\): run pg_ctl reload -D /,
      ),
    ]);
    expect(log.slice(0, 2)).toEqual([`  restored ${other}`, `  restored ${conf}`]);

    // Run again: what was undone is not undone twice; the reload the plan asks for is tried again.
    chmodSync(other, 0o600);
    const again = await rollbackPlan(dir, () => undefined);
    expect(again.restored).toEqual([]);
    expect(again.kept).toEqual([expect.stringMatching(/^anything\/reload: the server was not told to reload/)]);
    expect(modeOf(other)).toBe(0o600);
  });

  it('leaves alone a file already as saved, and reports nothing restored', async () => {
    const conf = join(root, 'same.conf');
    writeFileSync(conf, 'same\n', { mode: 0o600 });
    const steps = [fileStep('x/write', { do: 'restore-file', path: conf, backup: 'backup/same.conf' })];
    const dir = await planOf(steps, [conf]);
    mkdirSync(join(dir, 'backup'), { recursive: true });
    writeFileSync(join(dir, 'backup', 'same.conf'), 'same\n', { mode: 0o600 });
    const before = statSync(conf).ino;
    started(dir, steps, ['x/write']);
    const r = await rollbackPlan(dir, () => undefined);
    expect(r).toMatchObject({ restored: [], undone: [], kept: [] });
    expect(statSync(conf).ino).toBe(before);
  });
});
