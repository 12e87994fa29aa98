/**
 * A server already archiving with pgBackRest through a configuration written by hand (not by
 * pitr enable), with an archive_command in the other option form (`--stanza NAME --config FILE`):
 * pitr backup, pitr drill and runbook read the stanza and configuration from archive_command and
 * work, the audit reads its backups, and pitr enable refuses to overwrite it. The hand-written
 * file is byte for byte the same at the end.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/process/run.js';
import { testedInstalls, useCluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { PGBACKREST_PRESENT } from '../support/pitr.js';

if (!PGBACKREST_PRESENT) it.skip('pgbackrest is not installed (apt-get install pgbackrest)', () => {});
const install = PGBACKREST_PRESENT ? testedInstalls().find((i) => i.major <= 15) : undefined;

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.runIf(install)('a pgBackRest set-up written by hand', () => {
  const cluster = useCluster(install!);
  let root: string;
  let conf: string;
  let confSha: string;
  let dsn: string;

  beforeAll(async () => {
    const c = cluster();
    root = mkdtempSync(join(tmpdir(), 'pgharden-adopt-'));
    chmodSync(root, 0o755);
    const repo = join(root, 'repo');
    const log = join(root, 'log');
    for (const d of [repo, log]) {
      mkdirSync(d, { mode: 0o750 });
      chownSync(d, c.uid, c.gid);
    }
    conf = join(root, 'hand.conf');
    writeFileSync(
      conf,
      `# written by hand\n[global]\nrepo1-path=${repo}\nrepo1-retention-full=1\nlog-path=${log}\nstart-fast=y\n\n[hand]\npg1-path=${c.dataDir}\npg1-port=${c.port}\npg1-socket-path=${c.socketDir}\n`,
      { mode: 0o640 },
    );
    chownSync(conf, 0, c.gid);
    confSha = sha(conf);
    await c.query(`ALTER SYSTEM SET archive_command = 'pgbackrest --stanza hand --config ${conf} archive-push %p'`);
    await c.query("ALTER SYSTEM SET archive_mode = 'on'");
    const restarted = spawnSync(join(c.install.bindir, 'pg_ctl'), ['restart', '-D', c.dataDir, '-w', '-l', c.logFile], {
      uid: c.uid,
      gid: c.gid,
      cwd: '/',
      stdio: 'ignore',
      timeout: 600_000,
    });
    expect(restarted.status).toBe(0);
    await run('pgbackrest', ['--stanza=hand', `--config=${conf}`, 'stanza-create'], {
      uid: c.uid,
      gid: c.gid,
      cwd: '/',
      timeoutMs: 120_000,
    });
    dsn = `host=${c.socketDir} port=${c.port}`;
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('pitr enable refuses to overwrite it (exit 3) and says what works with it', () => {
    const r = pgharden(['pitr', 'enable', '--dsn', dsn, '--repo', join(root, 'other'), '--out', join(root, 'plans/x')]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`already archives with pgBackRest (stanza hand, configuration ${conf})`);
    expect(r.stderr).toContain('pgharden pitr drill --latest');
  });

  it('pitr backup, the audit, pitr drill --latest and runbook work on it; its configuration is untouched', async () => {
    const b = pgharden(['pitr', 'backup', '--type', 'full', '--dsn', dsn, '--json']);
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ stanza: 'hand', configFile: conf });

    const ids = (
      JSON.parse(pgharden(['audit', '--json', '--dsn', dsn]).stdout) as { findings: { id: string }[] }
    ).findings.map((f) => f.id);
    expect(ids).not.toContain('wal-archiving-off');
    expect(ids).not.toContain('backup-stale');

    const c = cluster();
    await c.query('CREATE TABLE kept AS SELECT g FROM generate_series(1, 500) g');
    const d = pgharden(['pitr', 'drill', '--latest', '--json', '--dsn', dsn]);
    expect(d.code, `${d.stdout}\n${d.stderr}`).toBe(0);
    const out = JSON.parse(d.stdout) as {
      ok: boolean;
      databases: { database: string; rows: { table: string; live: number; restored: number }[] }[];
    };
    expect(out.ok).toBe(true);
    expect(out.databases.find((x) => x.database === 'postgres')!.rows).toContainEqual({
      table: 'public.kept',
      live: 500,
      restored: 500,
    });

    const book = pgharden(['runbook', '--dsn', dsn]);
    expect(book.code, book.stderr).toBe(0);
    expect(book.stdout).toContain(`pgbackrest --config=${conf} --stanza=hand`);
    expect(sha(conf)).toBe(confSha);
  });

  it('behind a wrapper script, --stanza and --config name the set-up: backup and runbook work with them', async () => {
    const c = cluster();
    const wrapper = join(root, 'push.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec pgbackrest --stanza hand --config ${conf} archive-push "$1"\n`, {
      mode: 0o755,
    });
    const [{ before }] = (await c.query<{ before: string }>("SELECT current_setting('archive_command') AS before")) as [
      { before: string },
    ];
    await c.query(`ALTER SYSTEM SET archive_command = '${wrapper} %p'`);
    await c.reload();
    try {
      const plain = pgharden(['pitr', 'backup', '--dsn', dsn]);
      expect(plain.code, plain.stderr).toBe(2);
      expect(plain.stderr).toContain('not a pgBackRest archive-push pgharden can read');
      // pgBackRest's own backup refuses an archive_command without "pgbackrest" in it: that is the
      // tool failing (exit 4, pgBackRest's words), not an internal error.
      const refused = pgharden(['pitr', 'backup', '--stanza', 'hand', '--config', conf, '--dsn', dsn]);
      expect(refused.code, refused.stderr).toBe(4);
      expect(refused.stderr).not.toContain('internal error');
      expect(refused.stderr).toContain('must contain pgbackrest');
      const named = join(root, 'pgbackrest-push.sh');
      writeFileSync(named, readFileSync(wrapper), { mode: 0o755 });
      await c.query(`ALTER SYSTEM SET archive_command = '${named} %p'`);
      await c.reload();
      const b = pgharden([
        'pitr',
        'backup',
        '--type',
        'incr',
        '--stanza',
        'hand',
        '--config',
        conf,
        '--dsn',
        dsn,
        '--json',
      ]);
      expect(b.code, b.stderr).toBe(0);
      expect(JSON.parse(b.stdout)).toMatchObject({ stanza: 'hand', configFile: conf, backup: { type: 'incr' } });
      const book = pgharden(['runbook', '--stanza', 'hand', '--config', conf, '--dsn', dsn]);
      expect(book.code, book.stderr).toBe(0);
      expect(book.stdout).toContain(`pgbackrest --config=${conf} --stanza=hand`);
      const half = pgharden(['runbook', '--config', conf, '--dsn', dsn]);
      expect(half.code).toBe(2);
      expect(half.stderr).toContain('--config needs --stanza');
      expect(sha(conf)).toBe(confSha);
    } finally {
      await c.query(`ALTER SYSTEM SET archive_command = '${before.replaceAll("'", "''")}'`);
      await c.reload();
    }
  });
});
