import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquirePlanLock, LockHeldError } from '../../../src/core/lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgharden-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('plan lock', () => {
  it('is taken once, names its holder, and is released', () => {
    const lock = acquirePlanLock(dir);
    expect(statSync(join(dir, 'lock')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquirePlanLock(dir)).toThrow(new RegExp(`held by pid ${process.pid} on ${hostname()}`));
    lock.release();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    acquirePlanLock(dir).release();
  });

  it('takes over the lock of a process that is gone, and says whose it was', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(gone.stdout);
    writeFileSync(
      join(dir, 'lock'),
      JSON.stringify({ pid, host: hostname(), startedAt: '2026-11-22T00:00:00Z', command: 'apply plans/x' }),
    );
    const lock = acquirePlanLock(dir);
    expect(lock.staleFrom).toBe(`pid ${pid} on ${hostname()} since 2026-11-22T00:00:00Z (apply plans/x)`);
    lock.release();
  });

  it.each([
    [
      'another host',
      JSON.stringify({ pid: 1, host: 'elsewhere.example', startedAt: 't', command: '' }),
      'held by pid 1 on elsewhere.example',
    ],
    ['garbage', 'not json', 'an unreadable lock file'],
  ])('refuses a lock held from %s, never removing it', (_, content, message) => {
    writeFileSync(join(dir, 'lock'), content);
    expect(() => acquirePlanLock(dir)).toThrow(LockHeldError);
    expect(() => acquirePlanLock(dir)).toThrow(message);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(content);
  });
});
