/**
 * `pitr drill` and `runbook` on a scratch cluster archiving to a pgBackRest repository (set up by
 * `pitr enable --restart`, backed up by `pitr backup`: test/support/pitr.ts): the accident recovered with
 * --to (rows written after the base backup come back, so WAL was replayed), the live server
 * untouched; --latest exact while another connection inserts throughout; the runbook's
 * accidental-deletion script run as written; a WAL segment removed from the repository named.
 * pgBackRest 2.45 (Debian 12) archives PostgreSQL up to 15, so the npm majors are not covered.
 */
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, testedInstalls, type Cluster } from '../support/cluster.js';
import { CLI, pgharden, pghardenAsync } from '../support/cli.js';
import { PGBACKREST_PRESENT, startArchivingCluster, type PitrSetup } from '../support/pitr.js';
import { run } from '../../src/process/run.js';

if (!PGBACKREST_PRESENT) it.skip('pgbackrest is not installed (apt-get install pgbackrest)', () => {});
const installs = PGBACKREST_PRESENT ? testedInstalls().filter((i) => i.major <= 15) : [];
if (PGBACKREST_PRESENT && installs.length === 0)
  it.skip(`pgBackRest 2.45 archives PostgreSQL 15 at most: none of ${process.env.PGHARDEN_PG_VERSIONS} fits`, () => {});

/** Polls `ready` every 10 ms for up to a minute. */
/** Polls until `ready`; the bound is a hang detector (ten minutes), not a speed check. */
async function until(ready: () => boolean): Promise<void> {
  for (const end = Date.now() + 600_000; Date.now() < end && !ready(); ) await new Promise((r) => setTimeout(r, 10));
  if (!ready()) throw new Error('timed out waiting');
}

/** A process that runs (a zombie waiting for this container's init to reap it has ended: it holds nothing). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe.each(installs)('pitr drill on PostgreSQL $major', (install) => {
  let cluster: Cluster;
  let pitr: PitrSetup;
  let stop: () => Promise<void>;
  let ws: pg.Client;
  let dsn: string;
  let dir: string;
  let beforeAccident: string;
  const notes = async () => Number((await ws.query('SELECT count(*) AS n FROM notes')).rows[0].n);

  beforeAll(async () => {
    ({ cluster, pitr, stop } = await startArchivingCluster(install));
    dir = mkdtempSync(join(tmpdir(), 'pgharden-pitr-test-'));
    // The runbook's side directory is made inside: the server's OS user must reach it.
    chownSync(dir, cluster.uid, cluster.gid);
    dsn = `host=127.0.0.1 port=${cluster.port} user=postgres dbname=postgres`;
    await cluster.query('CREATE DATABASE workspace');
    ws = await cluster.connect({ database: 'workspace' });
    await ws.query(`CREATE TABLE notes (id int PRIMARY KEY, body text);
      INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 100) g;
      CREATE TABLE audit_log (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp());
      CREATE UNLOGGED TABLE scratch_cache AS SELECT g FROM generate_series(1, 10) g`);
    await pitr.backup();
    // pgBackRest records a backup's stop time in whole seconds and picks the set for a time target
    // by it: a target within the backup's last second would find no set (a real accident is not
    // that close to a backup; the drill names its set itself, the runbook's script lets pgBackRest choose).
    await new Promise((r) => setTimeout(r, 1100));
    // Written after the base backup: only WAL replay brings these back.
    await ws.query("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(101, 300) g");
    beforeAccident = (
      await ws.query("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t")
    ).rows[0].t;
    await ws.query('DELETE FROM notes WHERE id > 50'); // the accident
  });
  afterAll(async () => {
    await ws?.end();
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a time PostgreSQL cannot read, or both targets, as input errors (exit 2)', () => {
    const garbage = pgharden(['pitr', 'drill', '--to', 'yesterday-ish', '--dsn', dsn]);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain('--to "yesterday-ish" is not a time PostgreSQL can read');
    const both = pgharden(['pitr', 'drill', '--latest', '--to', '2026-01-01', '--dsn', dsn]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --latest or --to TIME, not both');
  });

  it('refuses (exit 3) when archiving was not set up by pgharden, saying how to enable it', async () => {
    const [{ ours }] = (await cluster.query<{ ours: string }>("SELECT current_setting('archive_command') AS ours")) as [
      { ours: string },
    ];
    await cluster.query("ALTER SYSTEM SET archive_command = 'cp %p /dev/null'");
    await cluster.reload();
    try {
      const r = pgharden(['pitr', 'drill', '--latest', '--dsn', dsn]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('was not set up by pgharden');
      expect(r.stderr).toContain('pgharden pitr enable');
    } finally {
      // Back to what pitr enable wrote (in postgresql.auto.conf, as ALTER SYSTEM does).
      await cluster.query(`ALTER SYSTEM SET archive_command = '${ours!.replaceAll("'", "''")}'`);
      await cluster.reload();
    }
  });

  it('--to the time before the accident brings back every deleted row; the live server is untouched', async () => {
    const metrics = join(dir, 'pgharden.prom');
    // Its own scratch parent: other drills on the machine use the system's temporary directory.
    const parent = join(dir, 'scratch-to');
    mkdirSync(parent);
    const r = pgharden([
      'pitr',
      'drill',
      '--to',
      beforeAccident,
      '--json',
      '--metrics',
      metrics,
      '--scratch-dir',
      parent,
      '--dsn',
      dsn,
    ]);
    expect(r.stderr).not.toContain('failed:');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const ws2 = out.databases.find((d: { database: string }) => d.database === 'workspace');
    expect(ws2.rows).toContainEqual({ table: 'public.notes', live: 50, restored: 300 });
    // Unlogged tables are not in the WAL: not counted on either side.
    expect(ws2.rows.map((x: { table: string }) => x.table)).not.toContain('public.scratch_cache');
    expect(out.rtoSeconds).toBeGreaterThan(0);
    expect(out.rpoSeconds).toBeGreaterThanOrEqual(0);
    expect(await notes()).toBe(50);
    const prom = readFileSync(metrics, 'utf8');
    const labels = `\\{cluster="pg${install.major}-${cluster.port}",stanza="drill"\\}`;
    expect(prom).toMatch(new RegExp(`^pgharden_pitr_rto_seconds${labels} \\d+\\.\\d{3}$`, 'm'));
    expect(prom).toMatch(new RegExp(`^pgharden_pitr_drill_last_run_success${labels} 1$`, 'm'));
    // Nothing left behind: the scratch directories are gone.
    expect(readdirSync(parent)).toEqual([]);
  });

  it("the runbook's accidental-deletion script, run as written, puts the deleted rows back", async () => {
    const book = join(dir, 'RUNBOOK.md');
    const r = pgharden(['runbook', '--out', book, '--dsn', dsn]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const md = readFileSync(book, 'utf8');
    expect(md).toContain(`stanza \`${pitr.stanza}\``);
    const script = /```sh accidental-deletion\n([\s\S]*?)```/.exec(md)![1]!;
    await run('sh', ['-c', script], {
      timeoutMs: 120_000,
      env: {
        ...process.env,
        TARGET: beforeAccident,
        DB: 'workspace',
        TABLE: 'public.notes',
        SIDE: join(dir, 'side'),
        PORT: String(await freePort()),
      },
    });
    expect(await notes()).toBe(300);
    expect((await ws.query('SELECT body FROM notes WHERE id = 300')).rows).toEqual([{ body: 'note 300' }]);
    expect(existsSync(join(dir, 'side')), 'the trap removed the side directory').toBe(false);
  });

  it('the deletion script stops before anything when a value is missing, and with a mistyped table leaves no side server', async () => {
    const md = readFileSync(join(dir, 'RUNBOOK.md'), 'utf8');
    const script = /```sh accidental-deletion\n([\s\S]*?)```/.exec(md)![1]!;
    const side = join(dir, 'side-typo');
    const env = { ...process.env, TARGET: beforeAccident, DB: 'workspace', SIDE: side, PORT: String(await freePort()) };
    // No TABLE: the script names it and does nothing (no default table, port or time any more).
    const missing = await run('sh', ['-c', script], { timeoutMs: 60_000, env: { ...env, TABLE: '' } }).catch(
      (e: Error) => e,
    );
    expect(String(missing)).toContain('set TABLE');
    expect(existsSync(side)).toBe(false);
    const typo = await run('sh', ['-c', script], {
      timeoutMs: 120_000,
      env: { ...env, TABLE: 'public.ntoes' },
    }).catch((e: Error) => e);
    expect(String(typo)).toContain('public.ntoes');
    expect(existsSync(side), 'the trap removed the side directory').toBe(false);
    const sideServers = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(side) && running(Number(p));
        } catch {
          return false;
        }
      });
    expect(sideServers, 'no process still runs on the side directory').toEqual([]);
    expect(await notes()).toBe(300);
  });

  it('--latest matches exactly while another connection inserts throughout, and rewrites the runbook', async () => {
    const writer = await cluster.connect({ database: 'workspace' });
    let writing = true;
    let written = 0;
    const loop = (async () => {
      while (writing) {
        await writer.query('INSERT INTO audit_log DEFAULT VALUES');
        written++;
      }
    })();
    const r = await pghardenAsync(['pitr', 'drill', '--latest', '--dsn', dsn]);
    writing = false;
    await loop;
    await writer.end();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Drill passed');
    expect(written).toBeGreaterThan(10);
    expect(readFileSync(join(dir, 'RUNBOOK.md'), 'utf8')).toMatch(/Last drill: .*passed.*RTO \d/);
  });

  it('removes its scratch server and directory on Ctrl-C, and those of a drill killed outright on the next run', async () => {
    const parent = join(dir, 'scratch');
    mkdirSync(parent);
    const scratch = () => readdirSync(parent).filter((d) => d.startsWith('pgharden-pitr-drill-'));
    const args = [CLI, 'pitr', 'drill', '--latest', '--scratch-dir', parent, '--dsn', dsn];
    const killed = spawn(process.execPath, args, { stdio: 'ignore' });
    const gone = new Promise((r) => killed.on('close', r));
    const pidFile = () =>
      scratch()
        .map((d) => join(parent, d, 'data', 'postmaster.pid'))
        .find((f) => existsSync(f));
    await until(() => pidFile() !== undefined);
    const postmaster = Number(readFileSync(pidFile()!, 'utf8').split('\n')[0]);
    killed.kill('SIGKILL');
    await gone;
    const [left] = scratch();
    expect(left).toBeDefined();
    const next = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    next.stdout.on('data', (d: Buffer) => (out += d.toString()));
    next.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const ended = new Promise<{ code: number | null; signal: string | null }>((r) =>
      next.on('close', (code, signal) => r({ code, signal })),
    );
    await until(() => scratch().some((d) => d !== left));
    const overlap = pgharden(['pitr', 'drill', '--latest', '--scratch-dir', parent, '--dsn', dsn]);
    expect(overlap.code).toBe(3);
    expect(overlap.stderr).toMatch(/lock is held by pid \d+/);
    next.kill('SIGINT');
    expect(await ended).toEqual({ code: null, signal: 'SIGINT' });
    expect(out).toContain(`Removed ${join(parent, left!)}, left by a drill that was killed`);
    expect(scratch(), out).toEqual([]);
    await until(() => !running(postmaster));
  });

  it('a WAL segment missing from the repository fails the drill, naming the segment', async () => {
    const segments: string[] = [];
    for (let i = 0; i < 3; i++) {
      await ws.query('INSERT INTO audit_log DEFAULT VALUES');
      const [w] = await cluster.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS f');
      segments.push(w!.f);
      await cluster.query('SELECT pg_switch_wal()');
    }
    await cluster.query('CHECKPOINT');
    // Wait until the last of them is archived, then remove the middle one from the repository.
    for (let i = 0; i < 6000; i++) {
      const [a] = await cluster.query<{ w: string | null }>('SELECT last_archived_wal AS w FROM pg_stat_archiver');
      if (a?.w && a.w >= segments[2]!) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const archiveDir = join(pitr.repo, 'archive', pitr.stanza);
    const [dbDir] = readdirSync(archiveDir).filter((d) => /^\d+-\d+$/.test(d));
    const walDir = join(archiveDir, dbDir!, segments[1]!.slice(0, 16));
    const [victim] = readdirSync(walDir).filter((f) => f.startsWith(segments[1]!));
    rmSync(join(walDir, victim!));
    const r = pgharden(['pitr', 'drill', '--latest', '--dsn', dsn]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`WAL segment ${segments[1]} is missing from the repository`);
  });

  it("the runbook's corrupted-directory section, run as written on this pg_ctl cluster, brings back rows only its pg_wal held", async () => {
    // A fresh backup (the test above broke the archive's chain), the settings the scratch server
    // got on its command line written where a user's cluster has them, and the runbook from then.
    await pitr.backup();
    await cluster.query(`ALTER SYSTEM SET unix_socket_directories = '${cluster.socketDir}'`);
    await cluster.query("ALTER SYSTEM SET listen_addresses = '127.0.0.1'");
    const book = join(dir, 'RUNBOOK-corrupted.md');
    const r = pgharden(['runbook', '--out', book, '--dsn', dsn]);
    expect(r.code, r.stderr).toBe(0);
    const script = /```sh corrupted-data-directory\n([\s\S]*?)```/.exec(readFileSync(book, 'utf8'))![1]!;
    expect(script).toContain(`-o "-p ${cluster.port}"`);
    await ws.query("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(301, 400) g");
    const [w] = await cluster.query<{ current: string; archived: string }>(
      'SELECT pg_walfile_name(pg_current_wal_lsn()) AS current, last_archived_wal AS archived FROM pg_stat_archiver',
    );
    expect(w!.archived < w!.current, `${w!.archived} < ${w!.current}`).toBe(true);
    const [{ oid }] = (await cluster.query<{ oid: number }>(
      "SELECT oid FROM pg_database WHERE datname = 'workspace'",
    )) as [{ oid: number }];
    await ws.end();
    // The server dies, and a database's files with it.
    await run(join(install.bindir, 'pg_ctl'), ['stop', '-D', cluster.dataDir, '-m', 'immediate', '-w'], {
      uid: cluster.uid,
      gid: cluster.gid,
      cwd: '/',
      timeoutMs: 120_000,
    });
    rmSync(join(cluster.dataDir, 'base', String(oid)), { recursive: true, force: true });
    await run('sh', ['-c', script], { timeoutMs: 600_000, cwd: '/' });
    ws = await cluster.connect({ database: 'workspace' });
    expect(await notes()).toBe(400);
    expect(readFileSync(join(cluster.dataDir, 'postgresql.auto.conf'), 'utf8')).toContain('unix_socket_directories');
  });

  it("the runbook's lost-server section, run as written on this pg_ctl cluster, brings back every archived row", async () => {
    // A backup taken after the socket settings above: a lost server comes back with the
    // configuration its backup holds.
    await pitr.backup();
    const book = join(dir, 'RUNBOOK-lost.md');
    const r = pgharden(['runbook', '--out', book, '--dsn', dsn]);
    expect(r.code, r.stderr).toBe(0);
    const script = /```sh lost-server\n([\s\S]*?)```/.exec(readFileSync(book, 'utf8'))![1]!;
    expect(script).toContain(`-p ${cluster.port}`);
    // Rows written and their WAL archived: a lost server keeps only what the repository holds.
    await ws.query("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(401, 450) g");
    const [{ segment }] = (await cluster.query<{ segment: string }>(
      'SELECT pg_walfile_name(pg_switch_wal()) AS segment',
    )) as [{ segment: string }];
    for (const end = Date.now() + 600_000; Date.now() < end; await new Promise((res) => setTimeout(res, 200))) {
      const [a] = await cluster.query<{ archived: string | null }>(
        'SELECT last_archived_wal AS archived FROM pg_stat_archiver',
      );
      if (a?.archived && a.archived >= segment) break;
    }
    const archived = await notes();
    expect(archived).toBe(450);
    await ws.end();
    // The host is gone: the server stops dead and its whole data directory with it.
    await run(join(install.bindir, 'pg_ctl'), ['stop', '-D', cluster.dataDir, '-m', 'immediate', '-w'], {
      uid: cluster.uid,
      gid: cluster.gid,
      cwd: '/',
      timeoutMs: 120_000,
    });
    rmSync(cluster.dataDir, { recursive: true, force: true });
    const restored = await run('sh', ['-c', script], { timeoutMs: 600_000, cwd: '/' });
    expect(restored.stdout).toContain(`port ${cluster.port}`);
    ws = await cluster.connect({ database: 'workspace' });
    expect(await notes()).toBe(archived);
  });
});
