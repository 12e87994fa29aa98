/**
 * The plan lock under contention, with real processes (the built dist/): runs that start at the
 * same instant and release at once each either take the lock or are told who holds it, never
 * "an unreadable lock file" (the loser used to read the file between its creation and its content,
 * or after the winner had already removed it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const LOCK = fileURLToPath(new URL('../../dist/core/lock.js', import.meta.url));
const CHILD = `
import { acquirePlanLock } from ${JSON.stringify(LOCK)};
const [dir, at] = process.argv.slice(1);
while (Date.now() < Number(at)) {}
try { acquirePlanLock(dir).release(); console.log('took it'); } catch (e) { console.log(e.message); }
`;

const root = mkdtempSync(join(tmpdir(), 'pgharden-lock-race-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function runAt(dir: string, at: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dir, String(at)]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => resolve(out.trim()));
  });
}

describe('plan lock under contention', () => {
  it('never reports an unreadable lock to the loser of a race', async () => {
    const answers: string[] = [];
    for (let round = 0; round < 12; round++) {
      const dir = mkdtempSync(join(root, 'plan-'));
      const at = Date.now() + 600;
      answers.push(...(await Promise.all(Array.from({ length: 5 }, () => runAt(dir, at)))));
      expect(readdirSync(dir)).toEqual([]);
    }
    for (const a of answers) expect(a).toMatch(/^(took it|.*lock is held by pid \d+ on \S+ since \S+)/);
    expect(answers).toContain('took it');
  });
});
