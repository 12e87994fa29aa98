/**
 * A consumer under load: connects again and again with the DSN its file holds at that instant (as
 * a reloaded service would), runs a query, and records every failed connection; some sessions
 * linger across reloads and must not be terminated.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { chooseSite } from '../../src/consumers/edit.js';

export interface Load {
  attempts: number;
  failures: string[];
  stop(): Promise<void>;
}

/** Starts the loop; `everyMs` pauses between connections (none: back to back). */
export function loadGenerator(file: string, key: string | undefined, application: string, everyMs = 0): Load {
  const load: Load = { attempts: 0, failures: [], stop: async () => undefined };
  let running = true;
  const lingering: Promise<void>[] = [];
  const loop = (async () => {
    while (running) {
      const uri = chooseSite(file, readFileSync(file, 'utf8'), key).text;
      const c = new pg.Client({ connectionString: uri, application_name: application });
      load.attempts += 1;
      try {
        await c.connect();
        await c.query('SELECT count(*) FROM agents');
        if (load.attempts % 5 === 0) {
          // A longer session spans reloads; it must not be terminated.
          lingering.push(
            new Promise((r) => setTimeout(r, 300))
              .then(() => c.query('SELECT 1'))
              .then(() => c.end())
              .catch((err: Error) => {
                load.failures.push(`lingering session: ${err.message}`);
              }),
          );
        } else {
          await c.end();
        }
      } catch (err) {
        load.failures.push(`${uri.replace(/:[^:@/]*@/, ':<pw>@')}: ${(err as Error).message}`);
        await c.end().catch(() => undefined);
      }
      if (everyMs) await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  load.stop = async () => {
    running = false;
    await loop;
    await Promise.all(lingering);
  };
  return load;
}
