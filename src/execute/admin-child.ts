/**
 * The admin path's far end: run with the server's OS uid (the parent is root), it connects over
 * the local socket as the server's own role, so `local all <os user> peer` admits it before and
 * after the flip, and runs the SQL it is sent. One JSON request per line on stdin
 * (`{id, database, sql, params}`), one JSON answer per line on stdout (`{id, rows}` or
 * `{id, error: {message, code}}`). One session per database, kept for the child's life, so a
 * BEGIN ... COMMIT sent as separate requests stays in one transaction.
 */
import { createInterface } from 'node:readline';
import pg from 'pg';

const { PGHARDEN_SOCKET: host, PGHARDEN_PORT: port, PGHARDEN_USER: user } = process.env;
const sessions = new Map<string, Promise<pg.Client>>();

function session(database: string): Promise<pg.Client> {
  let s = sessions.get(database);
  if (!s) {
    const c = new pg.Client({ host, port: Number(port), user, database, application_name: 'pgharden admin' });
    s = c.connect().then(() => c);
    sessions.set(database, s);
    s.catch(() => sessions.delete(database));
  }
  return s;
}

const reply = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

// Requests are answered in order: each waits for the one before it.
let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line) as { id: number; database: string; sql: string; params?: unknown[]; release?: boolean };
  chain = chain.then(async () => {
    if (req.release) {
      const s = sessions.get(req.database);
      sessions.delete(req.database);
      await (await s?.catch(() => null))?.end().catch(() => undefined);
      reply({ id: req.id, rows: [] });
      return;
    }
    try {
      const r = await (await session(req.database)).query(req.sql, req.params);
      reply({ id: req.id, rows: r.rows });
    } catch (err) {
      const e = err as { message: string; code?: string };
      reply({ id: req.id, error: { message: e.message, code: e.code ?? null } });
    }
  });
}).on('close', () => {
  void chain.then(async () => {
    for (const s of sessions.values()) await (await s.catch(() => null))?.end().catch(() => undefined);
  });
});
