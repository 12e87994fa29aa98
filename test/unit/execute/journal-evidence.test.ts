/**
 * What the files show beyond the journal: a step the journal never mentions whose after-state is
 * on disk, and a file the plan touches changed where no journaled step writes it. A journal that
 * records the step, or a file as the plan found it, gives no warning.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalEvidence, restoresByEvidence } from '../../../src/execute/journal-evidence.js';
import { openJournal } from '../../../src/execute/journal.js';
import { observeFile } from '../../../src/plan/binding.js';
import type { Plan, Step } from '../../../src/plan/plan-types.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pgharden-evidence-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

function write(path: string, before: string, after: string): Step {
  const f = observeFile(path);
  return {
    id: `files/write-${path.split('/').at(-1)}`,
    stage: 'flip',
    kind: 'file',
    description: 'write',
    forward: { do: 'write-file', path, content: after, mode: 0o600, uid: f.uid!, gid: f.gid! },
    verify: [],
    undo: { do: 'restore-file', path, backup: 'backup/01-x' },
    before: [{ ...f, of: 'file', sha256: sha(before) }],
    after: [{ ...f, of: 'file', sha256: sha(after) }],
    transactional: false,
    restartRequired: false,
  };
}

describe('journalEvidence', () => {
  it('finds a step done on disk but not in the journal, and a file changed where no journaled step writes', async () => {
    const a = join(root, 'a.conf');
    const b = join(root, 'b.conf');
    writeFileSync(a, 'old a\n', { mode: 0o600 });
    writeFileSync(b, 'old b\n', { mode: 0o600 });
    const steps = [write(a, 'old a\n', 'new a\n')];
    const plan = {
      steps,
      binding: { files: [observeFile(a), observeFile(b)] },
      server: { autoConfFile: join(root, 'postgresql.auto.conf') },
    } as unknown as Plan;
    const journal = openJournal(join(root, 'journal'));
    expect((await journalEvidence(plan, journal)).warnings).toEqual([]);

    writeFileSync(a, 'new a\n');
    writeFileSync(b, 'new b\n');
    const e = await journalEvidence(plan, journal);
    expect(e.unrecorded.map((s) => s.id)).toEqual(['files/write-a.conf']);
    expect(e.unexplained).toEqual([b]);
    expect(e.warnings).toEqual([
      `the journal records nothing of files/write-a.conf, yet what it leaves is there (${a}): the journal is shorter than what was done (was it cut?)`,
      `${b} is not as the plan found it, and the journal records no step that writes it (a cut journal, or a change by hand)`,
    ]);
    // rollback.sh's evidence: a's own restore, and one made for b.
    expect(restoresByEvidence(plan).map((s) => s.undo)).toEqual([
      { do: 'restore-file', path: a, backup: 'backup/01-x' },
      { do: 'restore-file', path: b, backup: 'backup/02-b.conf' },
    ]);

    journal.append({ type: 'intent', stepId: 'files/write-a.conf', undo: steps[0]!.undo });
    expect((await journalEvidence(plan, openJournal(join(root, 'journal')))).unrecorded).toEqual([]);
  });
});
