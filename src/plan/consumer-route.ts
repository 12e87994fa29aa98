/**
 * Where a consumer's connections reach the server from, found at plan time: its DSN's host and
 * port (a host name resolved, a socket path = the local socket) and the client addresses of its
 * live sessions. A DSN that names another server (another host, port or socket directory) is a
 * problem of the spec (exit 2); the paths themselves are judged later, against the final rules.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { realpathSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type pg from 'pg';
import { parseConninfo } from '../connect/conninfo.js';
import { parseIp } from '../conf/ip.js';
import type { Site } from '../consumers/edit.js';

/** One way a consumer reaches the server: from the local socket or a TCP client address. */
export interface ConsumerPath {
  from: 'local' | string;
  /** What it stands for, e.g. `its DSN host db.example (127.0.0.1:5432)` or `its live session pid 812`. */
  via: string;
}

/** What identifies this server to a client. */
export interface ServerEndpoints {
  port: number;
  socketDirs: string[];
  /** listen_addresses as the server runs with it. */
  listen: string;
}

/** libpq's default port, when neither the DSN nor its file names one. */
const DEFAULT_PORT = 5432;

/** The hosts and port a site's connection string names (undefined host: libpq's default socket). */
export function siteEndpoints(site: Site): { hosts: (string | undefined)[]; port: number | undefined } {
  if (site.kind === 'pgpass') return { hosts: [site.host ?? '*'], port: site.port ?? undefined };
  if (site.kind === 'service') return { hosts: [site.host ?? undefined], port: site.port ?? undefined };
  // URIs and keyword/value strings: read by libpq's own rules (cluster/conninfo.ts).
  let kv: Record<string, string> = {};
  try {
    kv = parseConninfo(site.text);
  } catch {
    // A string libpq would refuse: no endpoint to judge; the consumer check says why later.
  }
  const hosts = (kv.hostaddr ?? kv.host)?.split(',');
  return { hosts: hosts ?? [undefined], port: kv.port ? Number(kv.port.split(',')[0]) : undefined };
}

const sameDir = (a: string, b: string) => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
  }
};

/** This host's addresses (every 127.0.0.0/8 address is local on Linux). */
function isLocalAddress(address: string): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  if (ip.family === 4 && ip.bytes[0] === 127) return true;
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((i) => i.address.split('%')[0] === address),
  );
}

function listensOn(listen: string, address: string): boolean {
  return listen
    .split(',')
    .map((x) => x.trim())
    .some(
      (l) =>
        l === '*' ||
        l === address ||
        (l === 'localhost' && (address === '127.0.0.1' || address === '::1')) ||
        (l === '0.0.0.0' && !address.includes(':')) ||
        (l === '::' && address.includes(':')),
    );
}

/** The source address the kernel picks to reach a local address (a UDP connect sends nothing). */
function sourceFor(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    s.on('error', () => {
      s.close();
      resolve(address);
    });
    s.connect(port, address, () => {
      const from = s.address().address;
      s.close();
      resolve(from);
    });
  });
}

/** The paths of a consumer's DSN; `problems` when it names another server. */
export async function dsnPaths(
  site: Site,
  server: ServerEndpoints,
): Promise<{ paths: ConsumerPath[]; problems: string[] }> {
  const { hosts, port: named } = siteEndpoints(site);
  const port = named ?? DEFAULT_PORT;
  const portNote = named === undefined ? ` (no port in it: libpq uses ${DEFAULT_PORT})` : '';
  const paths: ConsumerPath[] = [];
  const problems: string[] = [];
  const other = (what: string) =>
    problems.push(
      `its connection string (line ${site.line}) names ${what}: another server, not this one (port ${server.port}, socket ${server.socketDirs.join(', ') || 'none'}, listen_addresses '${server.listen}'); fix the consumer's file, or leave this consumer out of the spec`,
    );
  for (const host of hosts) {
    if (host === '*') continue; // a .pgpass wildcard: the password is used for any host
    if (host === undefined || host.startsWith('/')) {
      if (host !== undefined && !server.socketDirs.some((d) => sameDir(d, host))) other(`the socket directory ${host}`);
      else if (port !== server.port) other(`port ${port}${portNote}`);
      else paths.push({ from: 'local', via: `its DSN's socket ${host ?? "(libpq's default directory)"}` });
      continue;
    }
    let addresses: string[];
    try {
      addresses = parseIp(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch (err) {
      problems.push(
        `its connection string (line ${site.line}) names host "${host}", which does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix the consumer's file`,
      );
      continue;
    }
    const reachable = addresses.filter((a) => isLocalAddress(a) && listensOn(server.listen, a));
    if (reachable.length === 0)
      other(
        `host ${host}${addresses.length && addresses[0] !== host ? ` (${addresses.join(', ')})` : ''}, where this server does not listen`,
      );
    else if (port !== server.port) other(`port ${port}${portNote} on ${host}`);
    else
      for (const a of reachable)
        paths.push({
          from: await sourceFor(a, port),
          via: `its DSN host ${host === a ? '' : `${host} → `}${a.includes(':') ? `[${a}]` : a}:${port}`,
        });
  }
  return { paths, problems };
}

/** The consumer's live sessions on its old identity, as pg_stat_activity shows them (pgharden's own left out). */
export async function sessionPaths(
  admin: pg.Client,
  g: { user: string; application?: string; clientAddress?: string },
): Promise<ConsumerPath[]> {
  const rows = (
    await admin.query<{ pid: number; addr: string | null }>(
      `SELECT pid, host(client_addr) AS addr FROM pg_stat_activity
     WHERE usename = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()
       AND application_name NOT LIKE 'pgharden%' AND ($2::text IS NULL OR application_name = $2) AND ($3::inet IS NULL OR client_addr = $3::inet)
     ORDER BY pid`,
      [g.user, g.application ?? null, g.clientAddress ?? null],
    )
  ).rows;
  return rows.map((r) => ({ from: r.addr ?? 'local', via: `its live session pid ${r.pid}` }));
}
