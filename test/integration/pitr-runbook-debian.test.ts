/**
 * The runbook's recovery sections executed exactly as a reader copies them (each fenced block
 * found by its id: ```sh lost-server, ...) on a Debian cluster set up by `pitr enable` and `pitr
 * backup`: the deletion script with a mistyped table leaves no side server and with the right one
 * puts the rows back; the corrupted-directory section, after base/ files were removed from the
 * stopped cluster, brings back rows only the old pg_wal held (not archived); the lost-server
 * section, after `pg_dropcluster --stop`, makes the cluster again on its own port with every row.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/process/run.js';
import { freePort } from '../support/cluster.js';
import { pghardenAsync } from '../support/cli.js';
import { createDebianCluster, debianUnavailable, type DebianCluster } from '../support/debian.js';
import { PGBACKREST_PRESENT } from '../support/pitr.js';

const why = debianUnavailable() ?? (PGBACKREST_PRESENT ? undefined : 'pgbackrest is not installed');

/** The commands of one runbook section, as written in its tagged fenced block. */
function section(md: string, id: string): string {
  const m = new RegExp(`\`\`\`sh ${id}\\n([\\s\\S]*?)\`\`\``).exec(md);
  if (!m) throw new Error(`no \`\`\`sh ${id} block in the runbook`);
  return m[1]!;
}

/** Processes whose command line names `text` (a zombie waiting to be reaped holds nothing). */
function processesOn(text: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return (
          readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text) &&
          !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8'))
        );
      } catch {
        return false;
      }
    });
}

describe.skipIf(why !== undefined)('the runbook run as written on a Debian cluster', () => {
  let c: DebianCluster;
  let root: string;
  let md: string;
  let conf: string;
  const count = () => Number(c.psql('SELECT count(*) FROM notes', 'workspace').trim());
  const sh = (script: string, env: Record<string, string> = {}) =>
    run('sh', ['-c', script], { timeoutMs: 600_000, cwd: '/', env: { ...process.env, ...env } });
  const pgbackrest = (args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', 'pgbackrest', `--config=${conf}`, `--stanza=15-${c.name}`, ...args], {
      timeoutMs: 300_000,
      cwd: '/',
    });
  const backup = async () => {
    const b = await pghardenAsync(['pitr', 'backup', '--type', 'full', '--cluster', c.id]);
    expect(b.code, b.stderr).toBe(0);
  };

  beforeAll(async () => {
    c = await createDebianCluster(`pghrb${process.pid}`);
    root = mkdtempSync(join(tmpdir(), 'pgharden-runbook-debian-'));
    chmodSync(root, 0o755);
    conf = join(root, 'pgbackrest.conf');
    mkdirSync(join(root, 'log'));
    await run('chown', ['postgres', join(root, 'log')], { timeoutMs: 60_000 });
    const enabled = await pghardenAsync([
      'pitr',
      'enable',
      '--cluster',
      c.id,
      '--repo',
      join(root, 'repo'),
      '--config',
      conf,
      '--log-path',
      join(root, 'log'),
      '--retention-full',
      '2',
      '--out',
      join(root, 'plans', 'pitr'),
      '--restart',
      '--yes',
    ]);
    expect(enabled.code, `${enabled.stdout}\n${enabled.stderr}`).toBe(0);
    c.psql(
      "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 100) g",
      'workspace',
    );
    await backup();
    // pgBackRest picks the set for a time target by its whole-second stop time.
    await new Promise((r) => setTimeout(r, 1100));
    c.psql("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(101, 300) g", 'workspace');
    const book = join(root, 'RUNBOOK.md');
    const r = await pghardenAsync(['runbook', '--out', book, '--cluster', c.id]);
    expect(r.code, r.stderr).toBe(0);
    md = readFileSync(book, 'utf8');
  });
  afterAll(() => {
    c?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
    const parent = '/var/lib/postgresql/15';
    for (const d of existsSync(parent) ? readdirSync(parent) : [])
      if (c && d.startsWith(`${c.name}.`)) rmSync(join(parent, d), { recursive: true, force: true });
  });

  it('every section names the port; the deletion script with a mistyped table leaves no side server, with the right one puts the rows back', async () => {
    for (const id of ['lost-server', 'corrupted-data-directory']) expect(section(md, id)).toContain(`-p ${c.port}`);
    expect(section(md, 'lost-server')).toContain(`pg_createcluster -p ${c.port} 15 ${c.name}`);
    const target = c.psql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
    c.psql('DELETE FROM notes WHERE id > 50', 'workspace');
    const script = section(md, 'accidental-deletion');
    const side = join(root, 'side');
    const env = { TARGET: target.trim(), DB: 'workspace', SIDE: side, PORT: String(await freePort()) };
    const typo = await sh(script, { ...env, TABLE: 'public.ntoes' }).catch((e: Error) => e);
    expect(String(typo)).toContain('public.ntoes');
    expect(existsSync(side), 'the trap removed the side directory').toBe(false);
    expect(processesOn(side), 'no process still runs on the side directory').toEqual([]);
    expect(count()).toBe(50);
    await sh(script, { ...env, TABLE: 'public.notes' });
    expect(count()).toBe(300);
    expect(existsSync(side)).toBe(false);
    expect(processesOn(side)).toEqual([]);
  });

  it('the corrupted-directory section brings back rows that only the old pg_wal held', async () => {
    c.psql("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(301, 400) g", 'workspace');
    const [current, archived] = c
      .psql('SELECT pg_walfile_name(pg_current_wal_lsn()), last_archived_wal FROM pg_stat_archiver')
      .trim()
      .split('|');
    // Rows 301-400 are in a segment the repository does not hold: a restore without salvage loses them.
    expect(archived! < current!, `${archived} < ${current}`).toBe(true);
    const oid = c.psql("SELECT oid FROM pg_database WHERE datname = 'workspace'").trim();
    // The server dies (a clean stop would switch WAL and archive it): the segment stays in pg_wal only.
    await run('pg_ctlcluster', ['15', c.name, 'stop', '-m', 'immediate'], { timeoutMs: 300_000 });
    rmSync(join(c.dataDir, 'base', oid), { recursive: true, force: true });
    await expect(pgbackrest(['archive-get', current!, '/dev/null'])).rejects.toThrow();
    await sh(section(md, 'corrupted-data-directory'));
    expect(count()).toBe(400);
    expect(c.psql('SELECT body FROM notes WHERE id = 400', 'workspace').trim()).toBe('note 400');
    // The configuration outside the data directory is the cluster's own still (trust for the VPN range).
    expect(readFileSync(join(c.configDir, 'pg_hba.conf'), 'utf8')).toContain('127.10.0.0/16');
    expect(readdirSync('/var/lib/postgresql/15').filter((d) => d.startsWith(`${c.name}.broken-`))).toHaveLength(1);
  });

  it('the lost-server section, after pg_dropcluster, makes the cluster again on its port with every row', async () => {
    // As the checklist after recovery says: a new full backup, then more rows, archived.
    await backup();
    c.psql("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(401, 500) g", 'workspace');
    await pgbackrest(['check']);
    await run('pg_dropcluster', ['--stop', '15', c.name], { timeoutMs: 300_000 });
    expect(existsSync(c.configDir)).toBe(false);
    await sh(section(md, 'lost-server'));
    expect(readFileSync(join(c.configDir, 'postgresql.conf'), 'utf8')).toMatch(new RegExp(`^port = ${c.port}`, 'm'));
    expect(count()).toBe(500);
    await pgbackrest(['check']);
  });
});
