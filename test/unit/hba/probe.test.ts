import { describe, expect, it } from 'vitest';
import { decodeAnswer, SSL_REQUEST, startupMessage } from '../../../src/hba/probe.js';

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
    [msg('R', Buffer.concat([int32(10), Buffer.from('SCRAM-SHA-256\0SCRAM-SHA-256-PLUS\0\0')])), { kind: 'sasl', mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'] }],
    [
      msg('E', Buffer.from('SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host "127.0.0.9", user "u", database "d", no encryption\0\0')),
      { kind: 'error', class: 'no-entry', severity: 'FATAL', code: '28000', message: 'no pg_hba.conf entry for host "127.0.0.9", user "u", database "d", no encryption' },
    ],
    [msg('E', Buffer.from('SFATAL\0C28000\0Mpg_hba.conf rejects connection for host "x"\0\0')), { kind: 'error', class: 'rejected', severity: 'FATAL', code: '28000', message: 'pg_hba.conf rejects connection for host "x"' }],
  ])('decodes %#', (bytes, expected) => {
    expect(decodeAnswer(bytes)).toEqual(expected);
  });

  it('waits for a whole message, and skips a notice before the answer', () => {
    const whole = msg('R', int32(0));
    expect(decodeAnswer(whole.subarray(0, 6))).toBeUndefined();
    expect(decodeAnswer(Buffer.concat([msg('N', Buffer.from('SNOTICE\0Mhi\0\0')), whole]))).toEqual({ kind: 'ok' });
  });
});
