/**
 * `inspect who` with a server: the first answer it reports for the matched rule (from the role's
 * stored password and password_encryption, and for peer with `map=`, the server's pg_ident.conf)
 * equals what the server answers to a startup packet from that source, before any password.
 */
import { userInfo } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { probe, type ProbeResult } from '../../src/hba/probe.js';
import { testedInstalls, useCluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';

// peer: the server asks the kernel for the client's OS user, this test's.
const OS_USER = userInfo().username;

const HBA = `host all postgres 127.0.0.1/32 trust
host all trusty 127.0.0.2/32 trust
host all scrammy 127.0.0.3/32 scram-sha-256
host all scrammy,md5y 127.0.0.4/32 md5
host all rejecty 127.0.0.5/32 reject
host all nobody 127.0.0.6/32 md5
local all mapped,unmapped peer map=m
`;
const IDENT = `# MAPNAME SYSTEM-USERNAME PG-USERNAME
m ${OS_USER} mapped
m someone_else unmapped
`;

/** The server's answer, in the words of `inspect who --json`'s "first". */
function answerOf(r: ProbeResult): string {
  if (r.kind !== 'error') return r.kind;
  if (r.class === 'no-entry') return 'none';
  if (r.class === 'rejected') return 'reject';
  return 'fails';
}

describe.each(testedInstalls())('inspect who: the first answer on PostgreSQL $major', (install) => {
  const cluster = useCluster(install);
  beforeAll(async () => {
    const c = cluster();
    await c.query("SET password_encryption = 'scram-sha-256'");
    await c.query("CREATE ROLE trusty LOGIN; CREATE ROLE rejecty LOGIN; CREATE ROLE scrammy LOGIN PASSWORD 'unused-1'");
    await c.query("SET password_encryption = 'md5'");
    await c.query("CREATE ROLE md5y LOGIN PASSWORD 'unused-2'");
    await c.query('RESET password_encryption; CREATE ROLE mapped LOGIN; CREATE ROLE unmapped LOGIN');
    c.writeFile(c.identFile, IDENT);
    c.writeFile(c.hbaFile, HBA);
    await c.reload();
  });

  it.each([
    ['trusty', '127.0.0.2', 'trust', 'ok', 'none'],
    ['scrammy', '127.0.0.3', 'scram-sha-256', 'sasl', 'scram-sha-256'],
    // An md5 rule asks for SCRAM when the password is stored as SCRAM.
    ['scrammy', '127.0.0.4', 'md5', 'sasl', 'scram-sha-256'],
    ['md5y', '127.0.0.4', 'md5', 'md5', 'md5'],
    ['rejecty', '127.0.0.5', 'reject', 'reject', 'none'],
    // No such role: with password_encryption scram-sha-256 the server runs a mock SCRAM exchange.
    ['nobody', '127.0.0.6', 'md5', 'sasl', 'none'],
  ])('%s from %s (%s): reported %s, as the server answers', async (user, from, method, first, stored) => {
    const c = cluster();
    const dsn = `postgres://postgres@127.0.0.1:${c.port}/postgres`;
    const r = pgharden(['inspect', 'who', '--user', user, '--db', 'postgres', '--from', from, '--json', '--dsn', dsn]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.match.auth_method).toBe(method);
    expect(out.answer).toEqual({
      first,
      stored_password: stored,
      password_encryption: 'scram-sha-256',
      ident_map: null,
      system_users: null,
    });
    const p = await probe({ host: '127.0.0.1', port: c.port, localAddress: from, user, database: 'postgres' });
    expect(answerOf(p)).toBe(first);
  });

  it.each([
    ['mapped', 'ok', [{ system_user: OS_USER, line_number: 2, pattern: false }]],
    ['unmapped', 'fails', [{ system_user: 'someone_else', line_number: 3, pattern: false }]],
  ])(
    'peer map=m lets in as %s the system users pg_ident.conf names; the server answers %s to this OS user',
    async (user, answer, systemUsers) => {
      const c = cluster();
      const dsn = `postgres://postgres@127.0.0.1:${c.port}/postgres`;
      const r = pgharden([
        'inspect',
        'who',
        '--user',
        user,
        '--db',
        'postgres',
        '--from',
        'local',
        '--json',
        '--dsn',
        dsn,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.match).toEqual({ file: c.hbaFile, line_number: 7, auth_method: 'peer' });
      expect(out.answer.ident_map).toEqual({ name: 'm', file: c.identFile });
      expect(out.answer.system_users).toEqual(systemUsers);
      // "first" is the answer to a listed system user; this test's OS user is listed only for "mapped".
      const listed = systemUsers.some((u) => u.system_user === OS_USER);
      expect(listed ? out.answer.first : 'fails').toBe(answer);
      const p = await probe({ socketDir: c.socketDir, port: c.port, user, database: 'postgres' });
      expect(answerOf(p)).toBe(answer);
      const text = pgharden(['inspect', 'who', '--user', user, '--db', 'postgres', '--from', 'local', '--dsn', dsn]);
      expect(text.stdout).toContain(
        `"${systemUsers[0]!.system_user}" (line ${systemUsers[0]!.line_number}), let in as "${user}" by map "m" in ${c.identFile}`,
      );
    },
  );
});
