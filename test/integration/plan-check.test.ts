/**
 * `plan --check`: the dry run of plan itself. It computes the same delta and review as `plan`, in
 * memory, and writes nothing anywhere: no plan directory, no secrets file (not even for a moment),
 * no temporary file. Proven with a fresh TMPDIR and working directory and a recursive watch on
 * every directory the plan could touch; no password or verifier reaches its output.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import { hasDumpTools, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

/** Every path under `dir`, relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/** Records every name created, changed or removed under these directories while it runs. */
function watching(dirs: string[]): { events: string[]; close(): void } {
  const events: string[] = [];
  const watchers: FSWatcher[] = dirs.map((d) =>
    watch(d, { recursive: true }, (type, name) => events.push(`${type} ${join(d, String(name))}`)),
  );
  return {
    events,
    close: () => {
      for (const w of watchers) w.close();
    },
  };
}

type CheckJson = {
  check: boolean;
  nothingToDo: boolean;
  changes?: { id: string; description: string }[];
  stages?: { steps: { id: string }[] }[];
  diffs?: { path: string; diff: string }[];
  rollback?: unknown;
};

describe.each(testedInstalls())('plan --check on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  /** A fresh TMPDIR and working directory for each run: anything in them afterwards was written by it. */
  let scratch: string;
  const skip = () => (hasDumpTools(s.cluster.major) ? [] : ['--skip-backup']);

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    scratch = mkdtempSync(join(tmpdir(), 'pgharden-check-tmp-'));
  });
  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await s?.cleanup();
  });

  /** `plan --check --json` watched: its result, and what appeared in the spec's directory or TMPDIR. */
  async function check(out: string) {
    const before = tree(s.dir);
    const w = watching([s.dir, scratch]);
    const r = await pghardenAsync(['plan', '--spec', s.spec, '--check', '--out', out, '--json', ...skip()], {
      TMPDIR: scratch,
    });
    // inotify events of the run reach the watchers on the next turns of the event loop.
    await new Promise((done) => setTimeout(done, 500));
    w.close();
    return { r, events: w.events, added: tree(s.dir).filter((p) => !before.includes(p)), tmp: tree(scratch) };
  }

  it('reports the steps a plan would have, writing nothing and printing no secret', async () => {
    const out = join(s.dir, 'plans', 'day1');
    const { r, events, added, tmp } = await check(out);
    expect(r.code, r.stderr).toBe(0);
    expect(events).toEqual([]);
    expect(added).toEqual([]);
    expect(tmp).toEqual([]);
    const json = JSON.parse(r.stdout) as CheckJson;
    expect(json).toMatchObject({ check: true, nothingToDo: false });
    expect(json.rollback).toBeUndefined();
    const changes = json.changes!.map((c) => c.id);
    expect(changes).toEqual(expect.arrayContaining(['roles/create-agents_app', 'roles/create-reporting', 'flip/hba']));
    expect(json.changes!.find((c) => c.id === 'roles/create-agents_app')!.description).toMatch(
      /^Create role agents_app/,
    );
    // The consumer's diff shows its new DSN with the password redacted; no verifier anywhere.
    const env = json.diffs!.find((d) => d.path === s.consumerFiles[0])!;
    expect(env.diff).toContain('+DATABASE_URL=postgres://agents_app:<redacted>@');
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toMatch(/agents_app:(?!<redacted>)[^@\s]+@/);
      expect(text).not.toContain('SCRAM-SHA-256$');
    }

    // The plan itself, saved, has exactly the steps the check reported.
    const saved = pgharden(['plan', '--spec', s.spec, '--out', out, '--json', ...skip()]);
    expect(saved.code, saved.stderr).toBe(0);
    const ids = (j: CheckJson) => j.stages!.flatMap((st) => st.steps.map((x) => x.id));
    expect(ids(JSON.parse(saved.stdout) as CheckJson)).toEqual(ids(json));
    const applied = pgharden(['apply', out, '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
  });

  it('says nothing to do on a converged cluster, writing nothing', async () => {
    // After the flip the superuser reaches the server only over the local socket.
    writeFileSync(
      s.spec,
      readFileSync(s.spec, 'utf8').replace(
        /dsn: "[^"]*"/,
        `dsn: "postgres://postgres@/postgres?host=${s.cluster.socketDir}&port=${s.cluster.port}"`,
      ),
    );
    const { r, events, added, tmp } = await check(join(s.dir, 'plans', 'again'));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ check: true, nothingToDo: true });
    expect(r.stderr).toContain('matches the spec');
    expect(events).toEqual([]);
    expect(added).toEqual([]);
    expect(tmp).toEqual([]);
  });

  it('refuses --check beside --rotate (exit 2)', () => {
    const r = pgharden(['plan', '--spec', s.spec, '--check', '--rotate', 'agents_app']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--check makes the dry run of the hardening plan only');
  });
});
