import { describe, expect, it } from 'vitest';
import { STORY_HBA } from '../../../src/scratch/story.js';
import { defaultContext } from '../../../src/conf/context.js';
import { parseHba } from '../../../src/conf/hba.js';
import { hardenHba } from '../../../src/plan/hba-edit.js';

const context = defaultContext({ major: 15 });
const harden = (text: string, trustedRanges = ['127.10.0.0/24']) =>
  hardenHba(parseHba(text, { file: '/x', context }), {
    superusers: ['postgres'],
    trustedRanges,
    adminRole: 'postgres',
  });

describe('hardenHba', () => {
  it('turns the story file into the hardened layout, keeping comments and order', () => {
    expect(harden(STORY_HBA).text).toBe(`# PostgreSQL Client Authentication Configuration File
# TYPE  DATABASE        USER            ADDRESS                 METHOD

# "local" is for Unix domain socket connections only
local   all             postgres                                peer  # pgharden: the server's OS user keeps its way in
local   all             all                                     scram-sha-256  # pgharden: was trust
# IPv4 local connections:
host    all             postgres        0.0.0.0/0               reject  # pgharden: superusers are local-only
host    all             postgres        ::/0                    reject  # pgharden: superusers are local-only
host    all             all             127.0.0.1/32            scram-sha-256  # pgharden: was trust
# The office VPN: every laptop, phone and agent box can reach the database.
host    all             all             127.10.0.0/24           scram-sha-256  # pgharden: narrowed from 127.10.0.0/16, was trust
# IPv6 local connections:
host    all             all             ::1/128                 scram-sha-256  # pgharden: was trust
`);
  });

  it('narrows to each trusted range inside a wide rule, disables rules outside them, keeps reject and good rules', () => {
    const r = harden(
      'hostssl all app 10.1.0.0/24 scram-sha-256\nhost shop app 10.0.0.0 255.0.0.0 md5\nhost all all 192.168.0.0/16 trust\nhost all bad 0.0.0.0/0 reject\r\n',
      ['10.1.0.0/24', '10.2.0.0/24'],
    );
    expect(r.text).toBe(
      'host    all             postgres        0.0.0.0/0               reject  # pgharden: superusers are local-only\n' +
        'host    all             postgres        ::/0                    reject  # pgharden: superusers are local-only\n' +
        'hostssl all app 10.1.0.0/24 scram-sha-256\n' +
        'host shop app 10.1.0.0/24  scram-sha-256  # pgharden: narrowed from 10.0.0.0/8, was md5\n' +
        'host shop app 10.2.0.0/24  scram-sha-256  # pgharden: narrowed from 10.0.0.0/8, was md5\n' +
        '# host all all 192.168.0.0/16 trust  # pgharden: disabled, outside the trusted ranges\n' +
        'host all bad 0.0.0.0/0 reject\r\n',
    );
    expect(r.changes.map((c) => [c.line, c.kind])).toEqual([
      [1, 'added'],
      [1, 'added'],
      [2, 'narrowed'],
      [2, 'narrowed'],
      [3, 'disabled'],
    ]);
  });

  it('leaves a file that needs nothing unchanged', () => {
    const good = 'local all postgres peer\nlocal all all scram-sha-256\n';
    expect(harden(good)).toEqual({ text: good, changes: [] });
  });
});

describe('hardenHba: the admin paths', () => {
  it('keeps a replication path for the OS user when trust on local replication becomes scram-sha-256', () => {
    const r = harden('local all all trust\nlocal replication all trust\n');
    expect(r.text).toBe(
      "local   all             postgres                                peer  # pgharden: the server's OS user keeps its way in\n" +
        'local   replication     postgres                                peer  # pgharden: and its backups and replicas (pg_basebackup)\n' +
        'local all all scram-sha-256  # pgharden: was trust\n' +
        'local replication all scram-sha-256  # pgharden: was trust\n',
    );
  });

  it("leaves Debian's packaged local rules as they are: peer already admits the OS user, replication included", () => {
    const debian =
      'local   all             postgres                                peer\nlocal   all             all                                     peer\n' +
      'local   replication     all                                     peer\n';
    expect(harden(debian)).toEqual({ text: debian, changes: [] });
  });
});
