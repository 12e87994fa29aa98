/**
 * `inspect who` and `inspect hba` with what only a server (or its host) knows: samehost/samenet
 * decided from this machine's interfaces when pgharden is on the server's host, and the libpq
 * environment (PGHOST/PGPORT) taken as the connection when FILE is given, as libpq does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { judgeServerHost, serverHostFacts } from '../../src/connect/server-host.js';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls, useCluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';

const HBA = `local all all trust
host all postgres 127.0.0.1/32 trust
host all +grp 127.0.0.7/32 reject
host all alice samehost reject
host all all samenet trust
`;

/** The server's answer to a startup packet from `from`, in the CLI's terms. */
async function serverSays(port: number, user: string, from: string): Promise<string> {
  const p = await probe({ host: '127.0.0.1', port, localAddress: from, user, database: 'postgres' });
  return p.kind === 'ok' ? 'trust' : p.kind === 'error' && p.class === 'rejected' ? 'reject' : JSON.stringify(p);
}

describe.each(testedInstalls())('inspect with the server host and environment, PostgreSQL $major', (install) => {
  const cluster = useCluster(install);
  const who = (user: string, from: string, extra: string[], env: NodeJS.ProcessEnv = {}) =>
    pgharden(['inspect', 'who', '--user', user, '--db', 'postgres', '--from', from, '--json', ...extra], env);

  beforeAll(async () => {
    const c = cluster();
    await c.query('CREATE ROLE grp NOLOGIN; CREATE ROLE alice LOGIN; CREATE ROLE carol LOGIN IN ROLE grp');
    c.writeFile(c.hbaFile, HBA);
    await c.reload();
  });

  it.each([
    ['alice', '127.0.0.1', 4, 'reject'],
    ['alice', '127.0.0.5', 5, 'trust'],
    ['carol', '127.0.0.7', 3, 'reject'],
    ['carol', '127.200.0.9', 5, 'trust'],
  ])(
    '%s from %s: line %s (%s) over the socket and over TCP, as the server answers',
    async (user, from, line, method) => {
      const c = cluster();
      expect(await serverSays(c.port, user, from)).toBe(method);
      // With a server connected, who also says what the server answers first: a role with no
      // password gets "ok" from trust and "reject" from reject, the answer serverSays saw.
      const expected = {
        match: { file: c.hbaFile, line_number: line, auth_method: method },
        undecided: null,
        answer: expect.objectContaining({ first: method === 'trust' ? 'ok' : 'reject', stored_password: 'none' }),
      };
      const socket = who(user, from, ['--dsn', `host=${c.socketDir} port=${c.port}`]);
      expect(JSON.parse(socket.stdout), socket.stderr).toEqual(expected);
      expect(socket.code).toBe(0);
      // Over TCP to loopback the server shares this machine's network stack, so its interfaces.
      const tcp = who(user, from, ['--dsn', `host=127.0.0.1 port=${c.port} user=postgres`]);
      expect(JSON.parse(tcp.stdout), tcp.stderr).toEqual(expected);
    },
  );

  it("over TCP from elsewhere, the data directory's postmaster.pid here tells whether this is the server's host", async () => {
    const c = cluster();
    const admin = await c.connect();
    try {
      const facts = await serverHostFacts(admin);
      expect(facts.server).toBe('127.0.0.1');
      // As if the session had come over a network address: only postmaster.pid can tell.
      const read = (p: string) => readFileSync(p, 'utf8');
      expect(judgeServerHost({ ...facts, server: '192.0.2.10' }, read)).toMatchObject({
        known: true,
        how: `${join(c.dataDir, 'postmaster.pid')} is this server's`,
      });
      const restarted = { ...facts, server: '192.0.2.10', started: String(Number(facts.started) - 3600) };
      expect(judgeServerHost(restarted, read)).toMatchObject({ known: false });
    } finally {
      await admin.end();
    }
  });

  it('without a server, a samehost rule before the match is undecided, with a JSON document and exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-host-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'pg_hba.conf');
    writeFileSync(file, HBA);
    const r = who('alice', '127.0.0.5', [file, '--pg-version', String(install.major)], { PGCLUSTER: '' });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      match: null,
      answer: null,
      undecided: {
        file,
        line_number: 4,
        reason: expect.stringContaining('"samehost" needs the server\'s interface addresses: no server connected'),
      },
    });
    expect(r.stderr).toContain(`cannot decide: ${file}:4`);
  });

  it('with FILE and PGHOST/PGPORT set, who takes group membership and hba the major from that server', () => {
    const c = cluster();
    const env = { PGHOST: c.socketDir, PGPORT: String(c.port) };
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-env-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'pg_hba.conf');
    writeFileSync(file, HBA);
    // Offline, carol is in no group: line 3 is passed over.
    expect(JSON.parse(who('carol', '127.0.0.7', [file, '--pg-version', String(c.major)]).stdout).match).toBeNull();
    const r = who('carol', '127.0.0.7', [file], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      match: { file, line_number: 3, auth_method: 'reject' },
      undecided: null,
      answer: expect.objectContaining({ first: 'reject' }),
    });
    expect(r.stderr).toContain('judged against the server PGHOST/PGPORT name in the environment');
    const hba = pgharden(['inspect', 'hba', file], env);
    expect(hba.code, hba.stderr).toBe(0);
    expect(hba.stderr).not.toContain('judged as PostgreSQL');
  });
});
