/**
 * pgharden's admin path: the local socket as the server's own role, which `local all <os user>
 * peer` admits before and after the flip. `peer` maps the CLIENT's OS user, so:
 * - running as the server's OS user, pgharden connects directly;
 * - running as root, it connects through a peer relay: a child process with the server's uid and
 *   gid opens the socket and copies bytes (cluster/peer-relay.ts), chosen over a pg_ident.conf map
 *   because it changes nothing on the server;
 * - as anyone else it refuses: after the flip it would have no way back in.
 * The session is opened in preflight and held across every reload (the "lifeline").
 */
import { statSync } from 'node:fs';
import { PeerRelay } from '../connect/peer-relay.js';
import { databaseSessions } from '../cluster/sessions.js';

export { AdminSqlError, databaseSessions } from '../cluster/sessions.js';
import { InputError, RefusedError } from '../core/errors.js';
import { serverDown, startCommandFor } from '../connect/connect.js';

export interface AdminTarget {
  socketDir: string | null;
  port: number;
  /** The server's OS user, and the role of the same name. */
  role: string;
  dataDirectory: string;
  /** postgresql.conf, to name the command that starts the server when it is down. */
  configFile?: string;
}

/** SQL over the admin path; `database` defaults to postgres. */
export interface AdminSession {
  how: 'direct' | 'child';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Closes the session on one database (e.g. before that database is dropped). */
  release(database: string): Promise<void>;
  end(): Promise<void>;
}

/** The admin path cannot be opened; the message says why and what to do. */
export class AdminPathError extends RefusedError {}

function direct(t: AdminTarget): AdminSession {
  return {
    how: 'direct',
    ...databaseSessions((database) => ({
      host: t.socketDir!,
      port: t.port,
      user: t.role,
      database,
      application_name: 'pgharden admin',
    })),
  };
}

function child(t: AdminTarget, uid: number, gid: number): AdminSession {
  const relay = { uid, gid, name: t.role };
  const base = { host: t.socketDir!, port: t.port, user: t.role, application_name: 'pgharden admin' };
  return {
    how: 'child',
    ...databaseSessions((database) => ({ ...base, database, stream: () => new PeerRelay(relay) })),
  };
}

/** Opens the admin path and proves it with a first query. */
export async function openAdmin(t: AdminTarget): Promise<AdminSession> {
  if (!t.socketDir)
    throw new AdminPathError(
      'The server has no Unix socket (unix_socket_directories is empty), so there is no local peer admin path; set one and restart, then plan again',
    );
  const owner = statSync(t.dataDirectory);
  const me = process.getuid?.() ?? -1;
  let s: AdminSession;
  if (me === owner.uid) s = direct(t);
  else if (me === 0) s = child(t, owner.uid, owner.gid);
  else
    throw new AdminPathError(
      `pgharden runs as uid ${me}, but the server's OS user is ${t.role} (uid ${owner.uid}); run it as root (sudo) or as ${t.role}, so it keeps its admin path (local socket, peer) after the flip`,
    );
  try {
    const [r] = await s.query<{ u: string }>('SELECT current_user AS u');
    if (r?.u !== t.role) throw new AdminPathError(`the admin path logged in as ${r?.u}, not ${t.role}`);
  } catch (err) {
    await s.end();
    const code = (err as { code?: string }).code;
    if (serverDown(code) || /\b(ENOENT|ECONNREFUSED)\b/.test((err as Error).message))
      throw new InputError(
        `Cannot open the admin path (local socket ${t.socketDir}, port ${t.port}, role ${t.role}): the server is not running (${(err as Error).message})`,
        `start it: ${startCommandFor(t.configFile, t.dataDirectory)}, then run the same pgharden command again`,
      );
    throw err instanceof AdminPathError
      ? err
      : new AdminPathError(
          `Cannot open the admin path (local socket ${t.socketDir}, port ${t.port}, role ${t.role}): ${(err as Error).message}`,
        );
  }
  return s;
}
