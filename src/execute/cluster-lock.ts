/**
 * One apply per cluster at a time, whatever the plan: a lock file named by the cluster's
 * system_identifier and data directory in a directory only root (or the running user) can write
 * (`/run/lock/pgharden` as root; `PGHARDEN_LOCK_DIR` overrides it), and a session advisory lock
 * with one key for every pgharden plan, held by the lifeline session on database postgres. A
 * second plan's apply on the same cluster is refused before any change, naming the holder.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLockFile, LockHeldError, type PlanLock } from '../core/lock.js';
import type { AdminSession } from './admin.js';

/** The advisory lock key every pgharden apply of any plan takes: the first 60 bits of sha256("pgharden cluster"). */
export const CLUSTER_KEY = BigInt.asIntN(
  64,
  BigInt(`0x${createHash('sha256').update('pgharden cluster').digest('hex').slice(0, 15)}`),
).toString();

/** Where cluster lock files live: root-owned /run/lock/pgharden as root, else a directory of the user's own. */
export function clusterLockDir(): string {
  if (process.env.PGHARDEN_LOCK_DIR) return process.env.PGHARDEN_LOCK_DIR;
  return process.getuid?.() === 0 ? '/run/lock/pgharden' : join(tmpdir(), `pgharden-locks-${process.getuid?.() ?? 0}`);
}

/** The cluster's lock file, or a refusal naming who holds it. */
export function lockClusterFile(systemIdentifier: string, dataDirectory: string): PlanLock {
  const dir = clusterLockDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = createHash('sha256').update(dataDirectory).digest('hex').slice(0, 12);
  return acquireLockFile(join(dir, `cluster-${systemIdentifier}-${key}.lock`));
}

/** Takes the cluster's advisory lock on the lifeline session; null, or who holds it (pid, application, since). */
export async function lockClusterServer(admin: AdminSession): Promise<string | null> {
  const [r] = await admin.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${CLUSTER_KEY}) AS ok`);
  if (r?.ok) return null;
  const key = BigInt(CLUSTER_KEY);
  const [h] = await admin.query<{ pid: number; app: string; since: string }>(
    `SELECT l.pid, a.application_name AS app, a.backend_start::text AS since
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1`,
    [Number((key >> 32n) & 0xffffffffn), Number(key & 0xffffffffn)],
  );
  return h ? `server session pid ${h.pid} (${h.app || 'no application_name'}, since ${h.since})` : 'another session';
}

/** Both halves of the cluster lock, or the refusal's reason; `release` gives back the file (the advisory lock ends with the session). */
export async function lockCluster(
  admin: AdminSession,
  systemIdentifier: string,
  dataDirectory: string,
): Promise<{ release(): void } | { held: string }> {
  let file: PlanLock;
  try {
    file = lockClusterFile(systemIdentifier, dataDirectory);
  } catch (err) {
    if (err instanceof LockHeldError) return { held: err.message };
    throw err;
  }
  const server = await lockClusterServer(admin);
  if (server) {
    file.release();
    return { held: `the cluster's advisory lock is held by ${server}` };
  }
  return file;
}
