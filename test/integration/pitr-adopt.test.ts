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
      timeout: 120_000,
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
});
