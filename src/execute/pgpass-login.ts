/**
 * A `.pgpass` consumer logs in the way its reader will: libpq's own client (`psql -w`, so it
 * never prompts) with PGPASSFILE pointing at the file, run as the file's owner when pgharden runs
 * as root. libpq, not pgharden, decides whether the file is used: it ignores a password file that
 * is not a plain file or has any group or world access ("has group or world access; permissions
 * should be u=rw (0600) or less").
 */
import { statSync } from 'node:fs';
import { findPsql } from '../cluster/client-tools.js';
import type { Site } from '../consumers/edit.js';
import { CommandError, run } from '../process/run.js';

/** Why libpq would skip this password file, or undefined when it reads it. */
export function pgpassIgnored(path: string): string | undefined {
  const st = statSync(path);
  if (!st.isFile()) return `libpq ignores ${path}: it is not a plain file`;
  if ((st.mode & 0o077) !== 0)
    return `libpq ignores ${path}: it has group or world access (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}; it must be 0600 or less)`;
  return undefined;
}

/**
 * `ok`, `refused`, or the error, for a login with the .pgpass line `site` as libpq reads it. A
 * wildcard field (`*`) takes the server's host, port or the `postgres` database.
 */
export async function pgpassLogin(path: string, site: Site, server: { host: string; port: number }): Promise<string> {
  const ignored = pgpassIgnored(path);
  if (ignored) return `refused: ${ignored}`;
  const psql = findPsql();
  if (!psql)
    return 'error: no psql found to log in with the password file as libpq reads it; install postgresql-client';
  const st = statSync(path);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PGPASSFILE: path,
    PGCONNECT_TIMEOUT: '10',
  };
  const asOwner = process.getuid?.() === 0 && st.uid !== 0 ? { uid: st.uid, gid: st.gid } : {};
  const args = [
    '-w',
    '-X',
    '-A',
    '-t',
    '-h',
    site.host ?? server.host,
    '-p',
    String(site.port ?? server.port),
    '-U',
    site.user!,
    '-d',
    site.database ?? 'postgres',
    '-c',
    'SELECT 1',
  ];
  try {
    await run(psql, args, { env, timeoutMs: 30_000, ...asOwner });
    return 'ok';
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    const stderr = err.stderrTail.split('\n')[0] || err.message;
    return /password authentication failed|no password supplied|no pg_hba\.conf entry|rejects connection/.test(stderr)
      ? `refused: ${stderr}`
      : `error: ${stderr}`;
  }
}
