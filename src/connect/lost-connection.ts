/**
 * A session the server ends (a restart, `pg_terminate_backend`, a crash) makes node-postgres emit
 * 'error' on an idle client; without a listener that event ends the whole process with a stack
 * trace. Every client pgharden opens gets this listener: the error is kept, and the next use of
 * the client fails with it, so the caller (a step, a check) reports it like any other failure.
 */
import type pg from 'pg';

const lost = new WeakMap<pg.Client, Error>();

/** `client`, listening for 'error': the first error is kept for lostConnection(). */
export function keepErrors<C extends pg.Client>(client: C): C {
  client.on('error', (err: Error) => {
    if (!lost.has(client)) lost.set(client, err);
  });
  return client;
}

/** Why the server ended this client's session, if it did. */
export function lostConnection(client: pg.Client): Error | undefined {
  return lost.get(client);
}
