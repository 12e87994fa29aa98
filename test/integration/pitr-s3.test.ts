/**
 * The off-box repository: `pitr enable --repo s3://BUCKET/PATH` against an S3-compatible server
 * started by the test on 127.0.0.1 over TLS (a self-signed certificate, the CA file given with
 * --s3-ca-file, path-style URIs, every request's SigV4 checked: test/support/s3-server.ts), with
 * the system's pgBackRest 2.45 on PostgreSQL 15. Missing keys and a bad endpoint are input errors
 * before anything changes; apply, `pitr backup`, the accident and `pitr drill --to T` give the
 * exact counts; every object in the bucket is encrypted and no table data is readable in it; the
 * keys and the passphrase appear in no plan file, no output, no log and no argv seen by `ps`
 * during the backup; rollback removes the configuration and the secrets file and leaves the
 * bucket's objects alone.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../src/scratch/cluster.js';
import { testedInstalls } from '../support/cluster.js';
import { pghardenAsync } from '../support/cli.js';
import { PGBACKREST_PRESENT } from '../support/pitr.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';

if (!PGBACKREST_PRESENT) it.skip('pgbackrest is not installed (apt-get install pgbackrest)', () => {});
const installs = PGBACKREST_PRESENT ? testedInstalls().filter((i) => i.major <= 15) : [];
if (PGBACKREST_PRESENT && installs.length === 0)
  it.skip(`pgBackRest 2.45 archives PostgreSQL 15 at most: none of ${process.env.PGHARDEN_PG_VERSIONS} fits`, () => {});

/** Every file under `dir` with its text (binary read as latin1, so any byte string can be searched). */
function filesUnder(dir: string): { path: string; text: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isFile())
    .map((path) => ({ path, text: readFileSync(path, 'latin1') }));
}

const execFileAsync = promisify(execFile);

const MARKER = 'pgharden-s3-marker-7f3a9c';

describe.each(installs)('pitr enable with an S3 repository on PostgreSQL $major', (install) => {
  let s3: S3Server;
  let cluster: Cluster;
  let ws: pg.Client | undefined;
  let root: string;
  let dsn: string;
  let configFile: string;
  let secretsFile: string;
  let plan: string;
  let log: string;
  /** Everything the commands printed, searched for secrets at the end. */
  const printed: string[] = [];
  /** Every command line `ps` showed while the backup ran. */
  const argvSeen: string[] = [];
  let passphrase = '';

  const flags = () => [
    ...['--repo', `s3://${s3.bucket}/pg/main`, '--s3-endpoint', s3.endpoint, '--s3-region', s3.region],
    ...['--s3-uri-style', 'path', '--s3-ca-file', s3.caFile, '--config', configFile, '--log-path', log],
    ...['--stanza', 's3drill', '--dsn', dsn, '--out', plan, '--retention-diff', '3', '--retention-archive', '2'],
  ];
  const keys = () => ({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey });
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = await pghardenAsync(args, env);
    printed.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    s3 = await startS3Server();
    cluster = await startCluster(install);
    root = mkdtempSync(join(tmpdir(), 'pgharden-s3-pitr-'));
    spawnSync('chmod', ['0755', root]);
    configFile = join(root, 'etc', 's3drill.conf');
    secretsFile = join(root, 'etc', 's3drill.secrets');
    plan = join(root, 'plans', 'pitr');
    log = join(root, 'log');
    mkdirSync(log);
    chownSync(log, cluster.uid, cluster.gid);
    dsn = `host=${cluster.socketDir} port=${cluster.port}`;
    // Sessions of its own: the restart apply makes ends every session.
    const admin = await cluster.connect();
    await admin.query('CREATE DATABASE workspace');
    await admin.end();
    const setup = await cluster.connect({ database: 'workspace' });
    await setup.query(`CREATE TABLE notes (id int PRIMARY KEY, body text);
      INSERT INTO notes SELECT g, '${MARKER} ' || g FROM generate_series(1, 100) g`);
    await setup.end();
  });
  afterAll(async () => {
    await ws?.end();
    await cluster?.stop();
    await s3?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('missing keys or a bad endpoint: exit 2 naming the variable or flag, nothing written', async () => {
    const noKeys = await cli(['pitr', 'enable', ...flags()], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toContain('AWS_ACCESS_KEY_ID is not set in the environment');
    expect(noKeys.stderr).toContain('AWS_SECRET_ACCESS_KEY is not set in the environment');
    const badEndpoint = await cli(
      ['pitr', 'enable', ...flags().map((f) => (f === s3.endpoint ? 'https://127.0.0.1:99999' : f))],
      keys(),
    );
    expect(badEndpoint.code).toBe(2);
    expect(badEndpoint.stderr).toContain('--s3-endpoint "https://127.0.0.1:99999" is not HOST[:PORT]');
    expect(badEndpoint.stderr).toContain('Next:');
    for (const p of [configFile, secretsFile, plan]) expect(existsSync(p)).toBe(false);
  });

  it('the plan says where the repository is and that it is encrypted; no key in the plan directory', async () => {
    const made = await cli(['pitr', 'enable', ...flags(), '--restart'], keys());
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(`repo1 s3://${s3.bucket}/pg/main at 127.0.0.1:${s3.endpoint.split(':')[1]}`);
    expect(made.stdout).toContain('encrypted aes-256-cbc');
    expect(made.stdout).toContain('it never deletes objects in');
    // The secrets file beside the configuration: the passphrase, the keys; 0600.
    const st = statSync(secretsFile);
    expect((st.mode & 0o777).toString(8)).toBe('600');
    passphrase = /^repo1-cipher-pass=(.+)$/m.exec(readFileSync(secretsFile, 'utf8'))![1]!;
    expect(passphrase.length).toBeGreaterThanOrEqual(40);
    for (const f of filesUnder(plan))
      for (const secret of [s3.accessKeyId, s3.secretAccessKey, passphrase]) expect(f.text).not.toContain(secret);
    // A second run with the same input keeps the passphrase (the bucket may hold what it encrypted).
    rmSync(plan, { recursive: true, force: true });
    const again = await cli(['pitr', 'enable', ...flags(), '--restart'], keys());
    expect(again.code).toBe(0);
    expect(readFileSync(secretsFile, 'utf8')).toContain(`repo1-cipher-pass=${passphrase}\n`);
  });

  it('apply writes the keys into the 0640 root:<server group> configuration only, and archives to the bucket', async () => {
    const applied = await cli(['apply', plan, '--yes']);
    expect(applied.stderr).not.toContain('failed');
    expect(applied.code).toBe(0);
    const st = statSync(configFile);
    expect([(st.mode & 0o777).toString(8), st.uid, st.gid]).toEqual(['640', 0, cluster.gid]);
    const conf = readFileSync(configFile, 'utf8');
    expect(conf).toContain('repo1-type=s3\n');
    expect(conf).toContain('repo1-cipher-type=aes-256-cbc\n');
    expect(conf).toContain('repo1-retention-diff=3\n');
    expect(conf).toContain('repo1-retention-archive=2\n');
    expect(conf).toContain(`repo1-s3-key-secret=${s3.secretAccessKey}\n`);
    expect(conf).toContain(`repo1-cipher-pass=${passphrase}\n`);
    expect(s3.objects().some((o) => o.key.startsWith('pg/main/archive/s3drill/'))).toBe(true);
    expect(s3.refused).toBe(0);
  });

  it('backup, rows, time T, accident: pitr drill --to T gives the exact counts; no argv carries a secret', async () => {
    // After the restart apply made.
    ws = await cluster.connect({ database: 'workspace' });
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        // Never blocking: the S3 server answers from this event loop.
        const { stdout: ps } = await execFileAsync('ps', ['-eo', 'args', '--no-headers'], { encoding: 'utf8' });
        argvSeen.push(...ps.split('\n').filter((l) => l.includes('pgbackrest')));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const started = Date.now();
    const backup = await cli(['pitr', 'backup', '--type', 'full', '--dsn', dsn, '--json']);
    console.log(`pitr backup to the bucket took ${Date.now() - started} ms`);
    watching = false;
    await watcher;
    expect(backup.stderr).not.toContain('ERROR');
    expect(backup.code).toBe(0);
    // The watcher saw pgBackRest's own processes during the backup, not only an empty list.
    expect(argvSeen.some((l) => /pgbackrest .*backup/.test(l))).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    await ws!.query(`INSERT INTO notes SELECT g, '${MARKER} ' || g FROM generate_series(101, 300) g`);
    const t = (
      await ws!.query("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t")
    ).rows[0].t as string;
    await ws!.query('DELETE FROM notes WHERE id > 50');
    const drill = await cli(['pitr', 'drill', '--to', t, '--json', '--dsn', dsn]);
    expect(drill.stderr).not.toContain('failed:');
    expect(drill.code).toBe(0);
    const out = JSON.parse(drill.stdout);
    const rows = out.databases.find((d: { database: string }) => d.database === 'workspace').rows;
    expect(rows).toContainEqual({ table: 'public.notes', live: 50, restored: 300 });
  });

  it('the bucket holds only encrypted objects: no table data, no marker in clear', () => {
    const objects = s3.objects();
    expect(objects.some((o) => o.key.includes('/backup/s3drill/'))).toBe(true);
    for (const o of objects) {
      // pgBackRest's aes-256-cbc files are OpenSSL's salted format.
      expect(`${o.key}: ${o.body.subarray(0, 8).toString('latin1')}`).toBe(`${o.key}: Salted__`);
      expect(o.body.includes(MARKER)).toBe(false);
    }
  });

  it('the runbook names the s3 repository and the passphrase to keep elsewhere; its commands use the configuration', async () => {
    const book = join(root, 'RUNBOOK.md');
    const r = await cli(['runbook', '--out', book, '--dsn', dsn]);
    expect(r.code).toBe(0);
    const md = readFileSync(book, 'utf8');
    expect(md).toContain(`repo1 s3://${s3.bucket}/pg/main at 127.0.0.1`);
    expect(md).toContain('encrypted (aes-256-cbc)');
    expect(md).toContain("Keep elsewhere: the repository's passphrase.");
    expect(md).toContain(`--config=${configFile}`);
    printed.push(md);
  });

  it('no key or passphrase in any output, log, argv or plan file', () => {
    const haystacks = [
      ...printed.map((text, n) => ({ path: `output ${n}`, text })),
      ...argvSeen.map((text) => ({ path: 'ps', text })),
      ...filesUnder(plan),
      ...filesUnder(log),
    ];
    expect(haystacks.length).toBeGreaterThan(10);
    for (const h of haystacks)
      for (const secret of [s3.accessKeyId, s3.secretAccessKey, passphrase])
        expect(h.text.includes(secret) ? `${h.path} holds a secret` : 'clean').toBe('clean');
  });

  it('rollback removes the configuration and the secrets file and keeps every object in the bucket', async () => {
    const before = s3.objects().length;
    // The rollback restarts the server: it ends every session.
    await ws!.end();
    ws = undefined;
    const r = await cli(['rollback', plan]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`removed ${secretsFile}`);
    expect(r.stdout).toContain(`removed ${configFile}`);
    expect(r.stdout).toContain(
      `kept every object in s3://${s3.bucket}/pg/main: pgharden never deletes from a bucket it did not create`,
    );
    expect(existsSync(configFile)).toBe(false);
    expect(existsSync(secretsFile)).toBe(false);
    expect(s3.objects().length).toBe(before);
  });
});
