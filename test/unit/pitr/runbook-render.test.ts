import { describe, expect, it } from 'vitest';
import { renderRunbook } from '../../../src/pitr/runbook-render.js';
import type { RunbookFacts } from '../../../src/pitr/runbook-facts.js';

const facts: RunbookFacts = {
  at: '2026-11-30T10:00:00.000Z',
  version: 'PostgreSQL 15.18',
  major: 15,
  bindir: '/usr/lib/postgresql/15/bin',
  dataDirectory: '/var/lib/postgresql/15/main',
  configFile: '/etc/postgresql/15/main/postgresql.conf',
  hbaFile: '/etc/postgresql/15/main/pg_hba.conf',
  port: 5432,
  socketDir: '/var/run/postgresql',
  debianCluster: '15/main',
  osUser: 'postgres',
  archive: {
    stanza: '15-main',
    configFile: '/etc/pgbackrest/pgbackrest.conf',
    repository: '/var/lib/pgbackrest',
    encrypted: false,
    sets: [],
  },
  lastDump: null,
  lastDrill: { kind: 'pitr-result', at: 'T2', ok: false, rtoSeconds: null, rpoSeconds: 9, target: 'p2' },
  lastPassedDrill: { kind: 'pitr-result', at: 'T1', ok: true, rtoSeconds: 1.25, rpoSeconds: 3, target: 'p1' },
  plan: { dir: '/root/plans/harden', name: 'harden', createdAt: '2026-11-29T00:00:00Z' },
};

describe('the runbook', () => {
  const md = renderRunbook(facts);
  it("uses the Debian cluster's own commands and the stanza's configuration", () => {
    expect(md).toContain('pg_ctlcluster 15 main stop');
    expect(md).toContain('pg pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=15-main restore');
    expect(md).toContain('pg() { runuser -u postgres -- "$@"; }');
  });
  it('tags each section for scripts, and never deletes a data directory', () => {
    for (const id of ['lost-server', 'corrupted-data-directory', 'accidental-deletion', 'failed-hardening'])
      expect(md).toContain(`\`\`\`sh ${id}\n`);
    expect(md).not.toMatch(/rm -rf '\/var\/lib/);
    expect(md).toContain('pg_createcluster -p 5432 15 main');
  });
  it('salvages the unarchived WAL and the configuration before restoring over a corrupted directory', () => {
    const s = /```sh corrupted-data-directory\n([\s\S]*?)```/.exec(md)![1]!;
    const salvage = s.indexOf('cp -p "$w" "$SALVAGE/pg_wal/"');
    const restore = s.indexOf('restore --pg1-path=');
    expect(salvage).toBeGreaterThan(s.indexOf('mv \'/var/lib/postgresql/15/main\' "$BROKEN"'));
    expect(salvage).toBeLessThan(restore);
    expect(
      s.indexOf('"$SALVAGE"/pg_wal/*; do if [ -f "$w" ]; then cp -p "$w" \'/var/lib/postgresql/15/main/pg_wal/\''),
    ).toBeGreaterThan(restore);
    // Debian: the configuration in /etc stays and is checked; only postgresql.auto.conf is in the data directory.
    expect(s).toContain("[ -e '/etc/postgresql/15/main/pg_hba.conf' ] || {");
    expect(s).toContain('for c in postgresql.auto.conf; do');
    expect(s).toContain('-p 5432');
  });
  it('on a plain pg_ctl cluster backs up and puts back the configuration inside the data directory, on its port', () => {
    const plain = renderRunbook({
      ...facts,
      debianCluster: null,
      dataDirectory: '/srv/pg',
      configFile: '/srv/pg/postgresql.conf',
      hbaFile: '/srv/pg/pg_hba.conf',
      port: 6543,
    });
    const s = /```sh corrupted-data-directory\n([\s\S]*?)```/.exec(plain)![1]!;
    expect(s).toContain('for c in postgresql.conf pg_hba.conf pg_ident.conf postgresql.auto.conf; do');
    expect(s.indexOf(`then cp -p "$SALVAGE/conf/pg_hba.conf" '/srv/pg/pg_hba.conf'`)).toBeGreaterThan(
      s.indexOf('restore --pg1-path='),
    );
    expect(s).toContain(`pg_ctl start -w -D '/srv/pg' -l '/srv/pg/startup.log' -o "-p 6543"`);
    expect(plain).not.toContain('pg_createcluster');
    expect(plain).toContain("[ ! -e '/srv/pg' ] || mv '/srv/pg' '/srv/pg'.before-restore-");
  });
  it('states the last drill and the last passed one with their RTO and RPO', () => {
    expect(md).toContain('Last drill: T2, **failed** (target p2); RTO not measured, RPO 9.0 s.');
    expect(md).toContain('Last passed drill: T1; RTO 1.3 s, RPO 3.0 s.');
  });
  it("gives the newest plan's rollback, with and without pgharden", () => {
    expect(md).toContain("pgharden rollback '/root/plans/harden'");
    expect(md).toContain("sh '/root/plans/harden/rollback.sh'");
  });
  it("says how to set up PITR when archiving is not pgharden's, and gives no pgBackRest commands", () => {
    const bare = renderRunbook({ ...facts, archive: null });
    expect(bare).toContain('**not set up by pgharden**');
    expect(bare).toContain('pgharden pitr enable --repo DIR --restart');
    expect(bare).not.toContain('## Accidental deletion');
  });
});
