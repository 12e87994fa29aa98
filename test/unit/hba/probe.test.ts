import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { decodeAnswer, probe, SSL_REQUEST, startupMessage } from '../../../src/hba/probe.js';

const msg = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

describe('probe wire format', () => {
  it('encodes a protocol 3.0 startup message', () => {
    expect(startupMessage({ user: 'u', database: 'd' })).toEqual(
      Buffer.from([0, 0, 0, 27, 0, 3, 0, 0, ...Buffer.from('user\0u\0database\0d\0\0')]),
    );
    expect(SSL_REQUEST.readInt32BE(4)).toBe(80877103);
  });

  it.each([
    [msg('R', int32(0)), { kind: 'ok' }],
    [msg('R', int32(3)), { kind: 'password' }],
    [msg('R', Buffer.concat([int32(5), Buffer.from([1, 2, 3, 4])])), { kind: 'md5' }],
    [
      msg('R', Buffer.concat([int32(10), Buffer.from('SCRAM-SHA-256\0SCRAM-SHA-256-PLUS\0\0')])),
      { kind: 'sasl', mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'] },
    ],
    [
      msg(
        'E',
        Buffer.from(
          'SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host "127.0.0.9", user "u", database "d", no encryption\0\0',
        ),
      ),
      {
        kind: 'error',
        class: 'no-entry',
        severity: 'FATAL',
        code: '28000',
        message: 'no pg_hba.conf entry for host "127.0.0.9", user "u", database "d", no encryption',
      },
    ],
    [
      msg('E', Buffer.from('SFATAL\0C28000\0Mpg_hba.conf rejects connection for host "x"\0\0')),
      {
        kind: 'error',
        class: 'rejected',
        severity: 'FATAL',
        code: '28000',
        message: 'pg_hba.conf rejects connection for host "x"',
      },
    ],
    [
      msg(
        'E',
        Buffer.from(
          'SFATAL\0VFATAL\0C28000\0Mpg_hba.conf rejects replication connection for host "127.0.0.1", user "u", no encryption\0\0',
        ),
      ),
      {
        kind: 'error',
        class: 'rejected',
        severity: 'FATAL',
        code: '28000',
        message: 'pg_hba.conf rejects replication connection for host "127.0.0.1", user "u", no encryption',
      },
    ],
    [
      msg(
        'E',
        Buffer.from(
          'SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for replication connection from host "127.0.0.1", user "u", SSL encryption\0\0',
        ),
      ),
      {
        kind: 'error',
        class: 'no-entry',
        severity: 'FATAL',
        code: '28000',
        message: 'no pg_hba.conf entry for replication connection from host "127.0.0.1", user "u", SSL encryption',
      },
    ],
    [
      msg('E', Buffer.from('SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "u"\0\0')),
      {
        kind: 'error',
        class: 'auth-failed',
        severity: 'FATAL',
        code: '28P01',
        message: 'password authentication failed for user "u"',
      },
    ],
    [
      msg('E', Buffer.from('SFATAL\0VFATAL\0C53300\0Msorry, too many clients already\0\0')),
      { kind: 'error', class: 'other', severity: 'FATAL', code: '53300', message: 'sorry, too many clients already' },
    ],
  ])('decodes %#', (bytes, expected) => {
    expect(decodeAnswer(bytes)).toEqual(expected);
  });

  it('waits for a whole message, and skips a notice before the answer', () => {
    const whole = msg('R', int32(0));
    expect(decodeAnswer(whole.subarray(0, 6))).toBeUndefined();
    expect(decodeAnswer(Buffer.concat([msg('N', Buffer.from('SNOTICE\0Mhi\0\0')), whole]))).toEqual({ kind: 'ok' });
  });
});

describe('probe against a scripted server on 127.0.0.1', () => {
  /** A one-connection server: records what the client sends, answers with `reply` (or nothing). */
  async function scripted(reply?: Buffer) {
    const received: Buffer[] = [];
    let closed!: () => void;
    const done = new Promise<void>((resolve) => (closed = resolve));
    const server = createServer((socket) => {
      socket.on('data', (chunk) => {
        received.push(chunk);
        if (reply) socket.write(reply);
      });
      socket.on('close', () => closed());
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return { port, received, done, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it('sends the startup message only, and hangs up on a password request', async () => {
    const s = await scripted(msg('R', Buffer.concat([int32(5), Buffer.from([9, 9, 9, 9])])));
    const r = await probe({ host: '127.0.0.1', port: s.port, user: 'u', database: 'd', replication: 'logical' });
    await s.done;
    await s.stop();
    expect(r).toEqual({ kind: 'md5' });
    expect(Buffer.concat(s.received)).toEqual(
      startupMessage({ user: 'u', database: 'd', application_name: 'pgharden-probe', replication: 'database' }),
    );
  });

  it('gives up after the timeout with a clear error', async () => {
    const s = await scripted();
    await expect(probe({ host: '127.0.0.1', port: s.port, user: 'u', database: 'd', timeoutMs: 100 })).rejects.toThrow(
      `No answer from PostgreSQL at 127.0.0.1:${s.port} within 100 ms`,
    );
    await s.done;
    await s.stop();
  });

  it('says so when the server refuses SSL', async () => {
    const s = await scripted(Buffer.from('N'));
    await expect(probe({ host: '127.0.0.1', port: s.port, user: 'u', database: 'd', ssl: true })).rejects.toThrow(
      `PostgreSQL at 127.0.0.1:${s.port} refused SSL`,
    );
    await s.done;
    await s.stop();
    expect(Buffer.concat(s.received)).toEqual(SSL_REQUEST);
  });
});
