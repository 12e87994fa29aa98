import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../../src/execute/journal.js';
import { passwordAges } from '../../../src/execute/journal-password-ages.js';
import { passwordRecord } from '../../../src/plan/password-record.js';
import type { Step } from '../../../src/plan/plan-types.js';

const sqlStep = (id: string, statements: string[]) =>
  ({ id, forward: { do: 'sql', database: 'postgres', statements } }) as Step;

describe('password record and ages', () => {
  const root = mkdtempSync(join(tmpdir(), 'pgharden-ages-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('records which step sets which role password, never the secret', () => {
    const steps = [
      sqlStep('roles/create-app', [`CREATE ROLE "app" LOGIN PASSWORD '<secret:app>'`, `COMMENT ON ROLE "app" IS 'x'`]),
      sqlStep('roles/grants-app-db', ['GRANT CONNECT ON DATABASE "db" TO "app"']),
      sqlStep('rotate/password-app_alt', [`ALTER ROLE "app_alt" LOGIN PASSWORD '<secret:app_alt>'`]),
    ];
    expect(passwordRecord(steps, 90)).toEqual({
      maxAgeDays: 90,
      set: [
        { role: 'app', step: 'roles/create-app' },
        { role: 'app_alt', step: 'rotate/password-app_alt' },
      ],
    });
  });

  it('takes the newest done time of a password step, skips reverted ones, and the newest plan limit', () => {
    const plan = (name: string, set: { role: string; step: string }[], maxAgeDays: number | null) => {
      const dir = join(root, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'plan.json'), JSON.stringify({ passwords: { maxAgeDays, set } }));
      return openJournal(join(dir, 'journal'));
    };
    const a = plan(
      'a',
      [
        { role: 'app', step: 's1' },
        { role: 'rep', step: 's2' },
      ],
      30,
    );
    a.append({ type: 'intent', stepId: 's1', undo: null });
    a.append({ type: 'done', stepId: 's1', after: [] });
    a.append({ type: 'intent', stepId: 's2', undo: null });
    a.append({ type: 'done', stepId: 's2', after: [] });
    a.append({ type: 'reverted', stepId: 's2' });
    const b = plan('b', [{ role: 'app', step: 'r1' }], 7);
    b.append({ type: 'intent', stepId: 'r1', undo: null });
    const done = b.append({ type: 'done', stepId: 'r1', after: [] });
    const ages = passwordAges(root, new Date('2030-01-01T00:00:00Z'));
    expect(ages.roles).toEqual([{ role: 'app', setAt: done.at, plan: join(root, 'b') }]);
    expect(ages.maxAgeDays).toBe(7);
    expect(passwordAges(root, new Date(), 99).maxAgeDays).toBe(99);
    expect(passwordAges(join(root, 'none'), new Date()).roles).toEqual([]);
  });
});
