/**
 * The TLS plan's checks against the live server and through libpq itself:
 * - `tls-handshake`: an SSLRequest from a trusted-range address, a TLS handshake, and the sha256
 *   of the certificate the server presents;
 * - `consumer-tls`: the consumer's connection string, exactly as its file holds it, used by psql
 *   as the file's owner (libpq decides sslmode, sslrootcert and channel_binding, not pgharden);
 *   logged in means the server's pg_stat_ssl shows the session encrypted. With `rogue`, the same
 *   string aimed at a listener on the same host presenting another certificate: libpq must
 *   refuse it before sending a startup packet. The password never goes on psql's command line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { createServer, connect as netConnect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { SSL_REQUEST } from '../hba/probe.js';
import { findPsql } from '../cluster/client-tools.js';
import { chooseSite, type Site } from '../consumers/edit.js';
import { siteHosts, withConsumerParams } from '../consumers/tls-settings.js';
import type { Check } from '../plan/plan-types.js';
import { CommandError, run } from '../process/run.js';
import type { CheckContext } from './run-checks.js';

type Handshake = Extract<Check, { check: 'tls-handshake' }>;
type ConsumerTls = Extract<Check, { check: 'consumer-tls' }>;

/** The fingerprint (sha256 of the DER, hex) of the certificate the server presents from `from`. */
export function tlsHandshake(ch: Handshake, x: CheckContext): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({
      host: x.host,
      port: x.port,
      ...(ch.from === 'local' ? {} : { localAddress: ch.from.address }),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('error: no TLS answer within 10 s');
    }, 10_000);
    const done = (v: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    socket.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // Unbindable source addresses go back to runCheck, which tries another address of the range.
      if (e.code === 'EADDRNOTAVAIL' || e.code === 'EINVAL') reject(e);
      else resolve(`error: ${e.message}`);
    });
    socket.once('data', (b: Buffer) => {
      if (b.toString('latin1', 0, 1) !== 'S') return done('the server does not offer TLS (answered N)');
      const tls = tlsConnect({ socket, rejectUnauthorized: false }, () => {
        const cert = tls.getPeerX509Certificate();
        const protocol = tls.getProtocol();
        tls.destroy();
        done(cert ? cert.fingerprint256.replaceAll(':', '').toLowerCase() : `no certificate (${protocol})`);
      });
      tls.on('error', (e) => done(`error: TLS handshake: ${e.message}`));
    });
    socket.on('connect', () => socket.write(SSL_REQUEST));
  });
}

/** The owner's home directory, where libpq looks for its own files. */
function homeOf(uid: number): string {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(uid));
  return line?.split(':')[5] || '/';
}

/** What psql is given: the connection string without its password, which goes in the environment. */
function psqlTarget(site: Site, serviceFile: string): { dbname: string; env: Record<string, string> } {
  if (site.kind === 'service') return { dbname: `service=${site.key}`, env: { PGSERVICEFILE: serviceFile } };
  if (site.kind === 'uri') {
    const m = /^(postgres(?:ql)?:\/\/)([^@/?#]*)@(.*)$/s.exec(site.text);
    if (!m || !m[2]!.includes(':')) return { dbname: site.text, env: {} };
    const [user, ...pw] = m[2]!.split(':');
    return { dbname: `${m[1]}${user}@${m[3]}`, env: { PGPASSWORD: decodeURIComponent(pw.join(':')) } };
  }
  const password = /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/.exec(site.text);
  if (!password) return { dbname: site.text, env: {} };
  const raw = password[1]!;
  const value = raw.startsWith("'") ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  return { dbname: site.text.replace(password[0], ''), env: { PGPASSWORD: value } };
}

/** A listener on `host` that answers an SSLRequest with 'S' and a TLS handshake with another certificate; counts startup packets. */
export async function rogueListener(
  host: string,
  cert: Buffer,
  key: Buffer,
): Promise<{ port: number; startups: () => number; close: () => Promise<void> }> {
  let startups = 0;
  const tls = createTlsServer({ cert, key }, (s) => {
    s.on('data', () => {
      startups += 1;
      s.destroy();
    });
    s.on('error', () => s.destroy());
  });
  tls.on('tlsClientError', () => undefined);
  const server: Server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.once('data', () => {
      socket.write('S');
      tls.emit('connection', socket);
    });
  });
  await new Promise<void>((r, j) => server.listen(0, host, r).once('error', j));
  const port = (server.address() as { port: number }).port;
  return { port, startups: () => startups, close: () => new Promise((r) => server.close(() => r())) };
}

/** psql with the consumer's connection string, as the file's owner: `ok` over TLS, else what libpq said. */
export async function consumerTls(ch: ConsumerTls, x: CheckContext): Promise<string> {
  const c = x.consumers.get(ch.path);
  const ref = { ...(c?.key ? { key: c.key } : {}), ...(c?.format ? { format: c.format } : {}) };
  let text = readFileSync(ch.path, 'utf8');
  let rogue: Awaited<ReturnType<typeof rogueListener>> | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'pgharden-tls-'));
  try {
    if (ch.rogue) {
      const site = chooseSite(ch.path, text, ref.key, ref.format);
      const host = siteHosts(site)[0] ?? '127.0.0.1';
      const dir = x.dir ?? '.';
      rogue = await rogueListener(
        /^[\d.]+$|:/.test(host) ? host : '127.0.0.1',
        readFileSync(join(dir, ch.rogue.cert)),
        readFileSync(join(dir, ch.rogue.key)),
      );
      text = withConsumerParams(ch.path, text, ref, { port: String(rogue.port) });
    }
    const site = chooseSite(ch.path, text, ref.key, ref.format);
    const serviceFile = join(scratch, 'pg_service.conf');
    writeFileSync(serviceFile, text, { mode: 0o600 });
    chmodSync(scratch, 0o700);
    if (process.getuid?.() === 0) {
      chownSync(scratch, ch.uid, ch.gid);
      chownSync(serviceFile, ch.uid, ch.gid);
    }
    const target = psqlTarget(site, site.kind === 'service' && !ch.rogue ? ch.path : serviceFile);
    try {
      const r = await run(
        findPsql() ?? 'psql',
        ['-X', '-w', '-A', '-t', '-d', target.dbname, '-c', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'],
        {
          timeoutMs: 30_000,
          ...(process.getuid?.() === 0 ? { uid: ch.uid, gid: ch.gid } : {}),
          cwd: '/',
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: homeOf(ch.uid),
            PGCONNECT_TIMEOUT: '10',
            LC_ALL: 'C',
            ...target.env,
          },
          shown: `psql (${ch.consumer}'s connection string${ch.rogue ? `, aimed at a listener with another certificate on port ${rogue?.port}` : ''})`,
        },
      );
      if (ch.rogue) return `connected to the impostor: ${r.stdout.trim()}`;
      return r.stdout.trim() === 't'
        ? 'ok'
        : `logged in without TLS (pg_stat_ssl.ssl = ${r.stdout.trim() || 'nothing'})`;
    } catch (err) {
      const said = err instanceof CommandError ? err.stderrTail || err.message : (err as Error).message;
      const line = said.trim().split('\n').filter(Boolean).slice(-2).join(' ');
      if (ch.rogue && /certificate verify failed|self[- ]signed certificate/i.test(said) && rogue?.startups() === 0)
        return 'refused';
      return `error: ${line}`;
    }
  } finally {
    await rogue?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
