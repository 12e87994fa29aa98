/**
 * One session per database on one server, opened on first use and kept: the admin path, the
 * backup job and the verify stage all speak to several databases of one cluster.
 */
import pg from 'pg';
import { ServerError } from '../core/errors.js';
import { keepErrors, lostConnection } from '../connect/lost-connection.js';

/** An error the server raised, kept with its SQLSTATE. */
export class AdminSqlError extends ServerError {
  /** The SQLSTATE, or a socket error's code (ECONNREFUSED…), or null. */
  readonly code: string | null;

  constructor(err: unknown, context?: string) {
    super(err, context);
    this.code = this.sqlstate ?? (err as { code?: string }).code ?? null;
  }
}

/** One session per database, opened on first use, from a configuration per database. */
export function databaseSessions(configFor: (database: string) => pg.ClientConfig) {
  const clients = new Map<string, Promise<pg.Client>>();
  const opened = new Map<string, pg.Client>();
  const client = (database: string) => {
    let c = clients.get(database);
    if (!c) {
      const cl = keepErrors(new pg.Client(configFor(database)));
      opened.set(database, cl);
      c = cl.connect().then(() => cl);
      clients.set(database, c);
    }
    return c;
  };
  return {
    async query<T = Record<string, unknown>>(sql: string, params?: unknown[], database = 'postgres'): Promise<T[]> {
      try {
        return (await (await client(database)).query(sql, params)).rows as T[];
      } catch (err) {
        // The session was ended under it (a restart, a terminated backend): say so, with the server's words.
        const cl = opened.get(database);
        const lost = cl && lostConnection(cl);
        if (!lost) throw new AdminSqlError(err);
        throw new AdminSqlError(
          lost,
          `The session on database ${database} was lost (was the server restarted or the backend terminated?)`,
        );
      }
    },
    async release(database: string) {
      const c = clients.get(database);
      clients.delete(database);
      opened.delete(database);
      await (await c?.catch(() => null))?.end().catch(() => undefined);
    },
    async end() {
      for (const c of clients.values()) await (await c.catch(() => null))?.end().catch(() => undefined);
    },
  };
}
