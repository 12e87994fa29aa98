import { describe, expect, it } from 'vitest';
import { judgeServerHost } from '../../../src/connect/server-host.js';

const pid = (port: string, start: number) => `4242\n/var/lib/pg\n${start}\n${port}\n/run/postgresql\n`;
const tcp = { server: '10.0.0.5', dir: '/var/lib/pg', port: '5432', started: '1700000000' };
const enoent = () => {
  throw Object.assign(new Error('no'), { code: 'ENOENT' });
};

describe('judgeServerHost', () => {
  it("knows the host over the socket, or from this server's postmaster.pid", () => {
    expect(judgeServerHost({ ...tcp, server: null }, enoent)).toMatchObject({ known: true });
    expect(judgeServerHost({ ...tcp, server: '127.0.0.1' }, enoent)).toMatchObject({ known: true });
    expect(judgeServerHost({ ...tcp, server: '::1' }, enoent)).toMatchObject({ known: true });
    expect(judgeServerHost(tcp, () => pid('5432', 1700000001))).toMatchObject({
      known: true,
      how: "/var/lib/pg/postmaster.pid is this server's",
    });
  });

  it.each([
    ['no postmaster.pid here', enoent, 'it is not on this machine'],
    ["another server's", () => pid('5433', 1700000000), 'belongs to another server (port 5433)'],
    ['an older start', () => pid('5432', 1600000000), 'belongs to another server'],
    [
      'an unreadable one',
      () => {
        throw Object.assign(new Error('no'), { code: 'EACCES' });
      },
      'cannot read /var/lib/pg/postmaster.pid (EACCES)',
    ],
  ])('is undecided with %s', (_, read, why) => {
    const h = judgeServerHost(tcp, read);
    expect(h.known).toBe(false);
    expect(h.known === false && h.reason).toContain(why);
  });

  it('is undecided when the data directory is hidden from the role', () => {
    expect(judgeServerHost({ ...tcp, dir: null }, enoent)).toMatchObject({ known: false });
  });
});
