import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalTamperedError, openJournal } from '../../../src/execute/journal.js';
import { caught } from '../../support/caught.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgharden-journal-'));
  file = join(dir, 'journal');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sample(): void {
  const j = openJournal(file);
  j.append({ type: 'run-start', planId: 'p', pid: 1, host: 'h', version: 'v' });
  j.append({
    type: 'intent',
    stepId: 'roles/create-a',
    undo: { do: 'sql', database: 'postgres', statements: ['DROP ROLE a'] },
  });
  j.append({ type: 'done', stepId: 'roles/create-a', after: [{ of: 'role', name: 'a', exists: true }] });
  j.append({ type: 'intent', stepId: 'canary/hba', undo: null });
}

const tampered = () => caught<JournalTamperedError>(() => openJournal(file));

describe('journal', () => {
  it("appends hash-chained records (0600) and reads them back with each step's latest state", () => {
    sample();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const j = openJournal(file);
    expect(j.records.map((r) => [r.seq, r.type])).toEqual([
      [1, 'run-start'],
      [2, 'intent'],
      [3, 'done'],
      [4, 'intent'],
    ]);
    expect(j.records[1]!.prev).toBe(j.records[0]!.hash);
    expect(j.stepState('roles/create-a')).toBe('done');
    expect(j.stepState('canary/hba')).toBe('intent');
    expect(j.stepState('flip/hba')).toBe('not-started');
    j.append({ type: 'reverted', stepId: 'roles/create-a' });
    expect(openJournal(file).stepState('roles/create-a')).toBe('reverted');
  });

  it.each([
    [
      'one changed byte in the middle',
      (lines: string[]) => {
        lines[2] = lines[2]!.replace('"exists":true', '"exists":fals');
      },
      3,
      'is not a journal record',
    ],
    [
      'a changed value, still valid JSON',
      (lines: string[]) => {
        lines[1] = lines[1]!.replace('DROP ROLE a', 'DROP ROLE b');
      },
      2,
      'does not match its hash',
    ],
    [
      'two lines swapped',
      (lines: string[]) => {
        [lines[1], lines[2]] = [lines[2]!, lines[1]!];
      },
      2,
      'has sequence number 3, not 2',
    ],
    [
      'a deleted middle line',
      (lines: string[]) => {
        lines.splice(1, 1);
      },
      2,
      'has sequence number 3, not 2',
    ],
  ])('refuses %s, naming the line', (_, edit, line, why) => {
    sample();
    const lines = readFileSync(file, 'utf8').split('\n');
    edit(lines);
    writeFileSync(file, lines.join('\n'));
    const err = tampered();
    expect(err).toBeInstanceOf(JournalTamperedError);
    expect(err!.line).toBe(line);
    expect(err.message).toContain(`line ${line} ${why}: has the file been tampered with?`);
  });

  it('refuses a record re-hashed after an edit, since the next line no longer follows it', () => {
    sample();
    const lines = readFileSync(file, 'utf8').split('\n');
    const rec = JSON.parse(lines[1]!) as Record<string, unknown>;
    rec.hash = 'f'.repeat(64);
    lines[1] = JSON.stringify(rec);
    writeFileSync(file, lines.join('\n'));
    expect(tampered().line).toBe(2);
  });

  it('ignores a partial last line (a crash mid-append) and cuts it off before the next append', () => {
    sample();
    appendFileSync(file, '{"type":"done","stepId":"canary/h');
    const j = openJournal(file);
    expect(j.records).toHaveLength(4);
    expect(j.stepState('canary/hba')).toBe('intent');
    j.append({ type: 'done', stepId: 'canary/hba', after: [] });
    const again = openJournal(file);
    expect(again.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(again.stepState('canary/hba')).toBe('done');
  });
});
