/**
 * The negative-test primitive: send a startup packet from a chosen source and read the
 * server's first authentication answer, then hang up before any password is sent. The
 * server's answer says which pg_hba.conf method it picked (AuthenticationOk for trust, a
 * SASL/MD5/cleartext request, or an error such as "no pg_hba.conf entry").
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface ProbeTarget {
  /** TCP: host and port, optionally leaving from `localAddress` (e.g. 127.10.0.7). */
  host?: string;
  port: number;
  localAddress?: string;
  /** Unix socket directory (then host/localAddress are ignored). */
  socketDir?: string;
  user: string;
  database: string;
  /** Negotiate TLS first (the server must accept it). */
  ssl?: boolean;
  replication?: 'physical' | 'logical';
  timeoutMs?: number;
}

export type ProbeResult =
  | { kind: 'ok' }
  | { kind: 'sasl'; mechanisms: string[] }
  | { kind: 'md5' }
  | { kind: 'password' }
  | { kind: 'gss' }
  | { kind: 'sspi' }
  | {
      kind: 'error';
      class: 'no-entry' | 'rejected' | 'auth-failed' | 'other';
      severity: string;
      code: string;
      message: string;
    };

/** StartupMessage, protocol 3.0: Int32 length, Int32 196608, then name\0value\0 pairs and \0. */
export function startupMessage(params: Record<string, string>): Buffer {
  const body = Buffer.from(
    `${Object.entries(params)
      .map(([k, v]) => `${k}\0${v}\0`)
      .join('')}\0`,
    'utf8',
  );
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, body]);
}

/** SSLRequest: Int32 8, Int32 80877103. */
export const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);

/** Decodes the first authentication answer from the bytes read so far; undefined until complete. */
export function decodeAnswer(buf: Buffer): ProbeResult | undefined {
  let at = 0;
  while (buf.length - at >= 5) {
    const type = String.fromCharCode(buf[at]!);
    const len = buf.readInt32BE(at + 1);
    if (buf.length - at < 1 + len) return undefined;
    const body = buf.subarray(at + 5, at + 1 + len);
    at += 1 + len;
    if (type === 'R') {
      const code = body.readInt32BE(0);
      if (code === 0) return { kind: 'ok' };
      if (code === 3) return { kind: 'password' };
      if (code === 5) return { kind: 'md5' };
      if (code === 7) return { kind: 'gss' };
      if (code === 9) return { kind: 'sspi' };
      if (code === 10)
        return { kind: 'sasl', mechanisms: body.subarray(4).toString('utf8').split('\0').filter(Boolean) };
      return {
        kind: 'error',
        class: 'other',
        severity: 'ERROR',
        code: '',
        message: `unknown authentication request ${code}`,
      };
    }
    if (type === 'E') {
      const fields: Record<string, string> = {};
      let p = 0;
      while (p < body.length && body[p] !== 0) {
        const end = body.indexOf(0, p + 1);
        fields[String.fromCharCode(body[p]!)] = body.subarray(p + 1, end).toString('utf8');
        p = end + 1;
      }
      const message = fields.M ?? '';
      // "… replication connection …" for walsenders: both wordings are classified alike.
      const cls = message.startsWith('no pg_hba.conf entry ')
        ? 'no-entry'
        : message.startsWith('pg_hba.conf rejects ')
          ? 'rejected'
          : fields.C === '28000' || fields.C === '28P01'
            ? 'auth-failed'
            : 'other';
      return { kind: 'error', class: cls, severity: fields.V ?? fields.S ?? '', code: fields.C ?? '', message };
    }
    // NoticeResponse and anything else before the answer: skip.
  }
  return undefined;
}

function open(t: ProbeTarget): Socket {
  if (t.socketDir) return netConnect({ path: `${t.socketDir}/.s.PGSQL.${t.port}` });
  return netConnect({
    host: t.host ?? '127.0.0.1',
    port: t.port,
    ...(t.localAddress ? { localAddress: t.localAddress } : {}),
  });
}

/** Reads the server's first answer to a startup packet; never sends a password. */
export function probe(t: ProbeTarget): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    let socket: Socket = open(t);
    let buf = Buffer.alloc(0);
    let stage: 'ssl' | 'answer' = t.ssl ? 'ssl' : 'answer';
    const where = t.socketDir
      ? `socket ${t.socketDir}`
      : `${t.host ?? '127.0.0.1'}:${t.port}${t.localAddress ? ` from ${t.localAddress}` : ''}`;
    const timer = setTimeout(
      () => finish(new Error(`No answer from PostgreSQL at ${where} within ${t.timeoutMs ?? 5000} ms`)),
      t.timeoutMs ?? 5000,
    );
    const finish = (r: ProbeResult | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const params: Record<string, string> = { user: t.user, database: t.database, application_name: 'pgharden-probe' };
    if (t.replication) params.replication = t.replication === 'physical' ? 'true' : 'database';
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 'ssl') {
        const answer = String.fromCharCode(buf[0]!);
        buf = buf.subarray(1);
        if (answer !== 'S') return finish(new Error(`PostgreSQL at ${where} refused SSL`));
        socket.removeListener('data', onData);
        const tls = tlsConnect({ socket, rejectUnauthorized: false }, () => tls.write(startupMessage(params)));
        tls.on('data', onData);
        tls.on('error', (e) => finish(e));
        socket = tls;
        stage = 'answer';
        return;
      }
      const r = decodeAnswer(buf);
      if (r) finish(r);
    };
    socket.on('data', onData);
    // The errno (EADDRNOTAVAIL, EINVAL when the source address cannot be bound) stays on the error: callers tell "could not leave from there" from a refusal.
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish(
        Object.assign(new Error(`Cannot reach PostgreSQL at ${where}: ${e.message}`), {
          code: e.code,
          syscall: e.syscall,
        }),
      ),
    );
    socket.on('close', () => finish(new Error(`PostgreSQL at ${where} closed the connection without an answer`)));
    socket.on('connect', () => socket.write(t.ssl ? SSL_REQUEST : startupMessage(params)));
  });
}
