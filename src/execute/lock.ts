/**
 * One writer per plan: `plans/NAME/lock`, created exclusively, naming the pid, host and start
 * time of the run that holds it. A lock left by a process that no longer exists on this host is
 * stale and taken over (and said so); anything else, including a lock file that cannot be read,
 * is refused and never removed silently. The server-side half is a session advisory lock taken
 * by apply on its admin session.
 */
import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface PlanLock {
  /** Who held a stale lock that was taken over. */
  staleFrom?: string;
  release(): void;
}

export class LockHeldError extends Error {
  constructor(readonly file: string, holder: string) {
    super(`${file} is held by ${holder}. Wait for it to finish; if that process is gone, remove ${file} and run the command again`);
    this.name = 'LockHeldError';
  }
}

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function create(file: string): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: process.argv.slice(2).join(' ') } satisfies Holder));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function acquirePlanLock(planDir: string): PlanLock {
  const file = join(planDir, 'lock');
  let staleFrom: string | undefined;
  try {
    create(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let h: Holder;
    try {
      h = JSON.parse(readFileSync(file, 'utf8')) as Holder;
      if (typeof h.pid !== 'number') throw new Error('no pid');
    } catch {
      throw new LockHeldError(file, 'an unreadable lock file (not written by pgharden, or cut short)');
    }
    const who = `pid ${h.pid} on ${h.host} since ${h.startedAt}${h.command ? ` (${h.command})` : ''}`;
    if (h.host !== hostname() || alive(h.pid)) throw new LockHeldError(file, who);
    unlinkSync(file);
    create(file);
    staleFrom = who;
  }
  return {
    ...(staleFrom ? { staleFrom } : {}),
    release() {
      try {
        unlinkSync(file);
      } catch {
        // Already gone.
      }
    },
  };
}
