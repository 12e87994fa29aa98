/**
 * Does pgharden run on the connected server's host? Then that host's interfaces are this
 * machine's, and samehost/samenet can be decided. Three proofs: the session came over a Unix socket
 * (inet_server_addr() is null: the socket file is on this machine), over loopback (the server is in
 * this machine's network stack, so its interfaces are the ones listed here), or the data directory
 * the server names holds a postmaster.pid written by this very postmaster (same port, start time).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { onServerHost, type HostInterfaces } from '../hba/interfaces.js';

/** What the server says of itself and of the session: enough to tell whether it runs here. */
export interface ServerHostFacts {
  /** inet_server_addr(): null over a Unix socket. */
  server: string | null;
  dir: string | null;
  port: string;
  started: string;
}

/** The answer from the server's own facts and its data directory's postmaster.pid, as read here. */
export function judgeServerHost(f: ServerHostFacts, readPid: (path: string) => string): HostInterfaces {
  if (f.server === null) return onServerHost("connected over the server's Unix socket");
  if (/^127\.|^::1$/.test(f.server)) return onServerHost(`connected over loopback (${f.server})`);
  const tcp = 'connected over TCP';
  if (!f.dir)
    return {
      known: false,
      reason: `${tcp}, and the data directory is not visible to this role (grant pg_read_all_settings, or connect over the socket)`,
    };
  const pidFile = join(f.dir, 'postmaster.pid');
  let text: string;
  try {
    text = readPid(pidFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'it is not on this machine' : `cannot read ${pidFile} (${code ?? (err as Error).message})`;
    return {
      known: false,
      reason: `${tcp}, and the server's data directory ${f.dir}: ${why}; run pgharden on the server's host as root or its OS user, or connect over the socket`,
    };
  }
  // postmaster.pid: pid, data directory, start time (epoch seconds), port, … (miscadmin.h LOCK_FILE_LINE_*).
  const [, , start, port] = text.split('\n');
  // The file's start time and pg_postmaster_start_time() are taken a moment apart.
  if (port?.trim() === f.port && Math.abs(Number(start) - Number(f.started)) <= 2)
    return onServerHost(`${pidFile} is this server's`);
  return {
    known: false,
    reason: `${tcp}, and ${pidFile} on this machine belongs to another server (port ${port?.trim()}): the server runs elsewhere`,
  };
}

/** The server's facts for judgeServerHost (the data directory is null when the role may not see it). */
export async function serverHostFacts(client: pg.Client): Promise<ServerHostFacts> {
  const { rows } = await client.query<ServerHostFacts>(
    `SELECT host(inet_server_addr()) AS server, current_setting('port') AS port,
            floor(extract(epoch FROM pg_postmaster_start_time()))::bigint::text AS started,
            (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS dir`,
  );
  return rows[0]!;
}

/** Whether pgharden runs on the connected server's host, and if so its interfaces. */
export async function serverHostInterfaces(client: pg.Client): Promise<HostInterfaces> {
  return judgeServerHost(await serverHostFacts(client), (p) => readFileSync(p, 'utf8'));
}
