/**
 * One writer per plan: `plans/NAME/lock` (and one per cluster: execute/cluster-lock.ts), created exclusively, naming the pid, host and start
 * time of the run that holds it. A lock left by a process that no longer exists on this host is
 * stale and taken over (and said so); anything else, including a lock file that cannot be read,
 * is refused and never removed silently. The server-side half is a session advisory lock taken
 * by apply on its admin session.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RefusedError } from './errors.js';

export interface PlanLock {
  /** Who held a stale lock that was taken over. */
  staleFrom?: string;
  release(): void;
}

/** Another run holds the plan's lock. */
export class LockHeldError extends RefusedError {
  constructor(
    readonly file: string,
    holder: string,
  ) {
    super(
      `${file} is held by ${holder}. Wait for it to finish; if that process is gone, remove ${file} and run the command again`,
    );
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

/**
 * Creates the lock with its content in one step: written to a private file first, then hard-linked
 * to the lock's name (link fails when the name exists), so no other run ever reads it empty.
 */
function create(file: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(
      fd,
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        startedAt: new Date().toISOString(),
        command: process.argv.slice(2).join(' '),
      } satisfies Holder),
    );
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } finally {
    unlinkSync(tmp);
  }
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The holder named in an existing lock; null when the lock went away meanwhile (released). */
function readHolder(file: string): Holder | null {
  // A lock written by an older pgharden can be seen for an instant between its creation and its content.
  for (let i = 0; ; i++) {
    try {
      const h = JSON.parse(readFileSync(file, 'utf8')) as Holder;
      if (typeof h.pid !== 'number') throw new Error('no pid');
      return h;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if (i >= 20) throw new LockHeldError(file, 'an unreadable lock file (not written by pgharden, or cut short)');
      pause(50);
    }
  }
}

export function acquirePlanLock(planDir: string): PlanLock {
  return acquireLockFile(join(planDir, 'lock'));
}

/** The lock file `file`, created exclusively; a stale one (its process gone from this host) is taken over. */
export function acquireLockFile(file: string): PlanLock {
  let staleFrom: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      create(file);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const h = readHolder(file);
    // Released between our attempt and the read: try again (a few times; a busy lock is held).
    if (h === null && attempt < 10) continue;
    if (h === null) throw new LockHeldError(file, 'runs that take and release it again and again');
    const who = `pid ${h.pid} on ${h.host} since ${h.startedAt}${h.command ? ` (${h.command})` : ''}`;
    if (h.host !== hostname() || alive(h.pid)) throw new LockHeldError(file, who);
    unlinkSync(file);
    create(file);
    staleFrom = who;
    break;
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
