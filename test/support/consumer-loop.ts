/**
 * A live consumer for tests: every `everyMs` it reads its file, takes the connection string from
 * it as an application would at start-up, connects from a chosen address, runs SELECT 1 and
 * disconnects. It counts every attempt and keeps each failure's message.
 */
import { readFileSync } from 'node:fs';
import { clientFrom } from '../../src/connect/from-address.js';

export interface ConsumerLoop {
  attempts: number;
  failures: string[];
  /** The users it logged in as, in order of first use. */
  users: string[];
  stop(): Promise<void>;
}

/** Starts the loop; `dsnOf` takes the connection string out of the file's text. */
export function consumerLoop(
  file: string,
  dsnOf: (text: string) => string,
  o: { from: string; application: string; everyMs?: number },
): ConsumerLoop {
  let running = true;
  const loop: ConsumerLoop = {
    attempts: 0,
    failures: [],
    users: [],
    stop: async () => {
      running = false;
      await done;
    },
  };
  const once = async () => {
    loop.attempts += 1;
    let c: Awaited<ReturnType<typeof clientFrom>> | undefined;
    try {
      const url = new URL(dsnOf(readFileSync(file, 'utf8')));
      url.searchParams.set('application_name', o.application);
      c = clientFrom(o.from, { connectionString: url.toString() });
      await c.connect();
      const r = await c.query<{ u: string }>('SELECT current_user AS u');
      if (!loop.users.includes(r.rows[0]!.u)) loop.users.push(r.rows[0]!.u);
    } catch (err) {
      loop.failures.push(`${new Date().toISOString()} ${(err as Error).message}`);
    } finally {
      await c?.end().catch(() => undefined);
    }
  };
  const done = (async () => {
    while (running) {
      const started = Date.now();
      await once();
      await new Promise((r) => setTimeout(r, Math.max(0, (o.everyMs ?? 150) - (Date.now() - started))));
    }
  })();
  return loop;
}
