/**
 * `pitr enable` as a plan on a scratch cluster, with the system's pgBackRest: without --restart
 * apply stops at the restart and names the line to run; with it, the server restarts, a backup is
 * taken and recorded, rows written after it reach the repository through a WAL switch, and the
 * audit no longer reports archiving off. Rollback puts postgresql.auto.conf back byte for byte,
 * removes the pgBackRest file and turns archiving off again. A foreign archive_command is refused.
 * The pgBackRest files live in a temp directory (--config, --log-path), never in /etc.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSegment } from '../../src/execute/wal-archived.js';
import { findInstall } from '../../src/cluster/install.js';
import { testedInstalls, useCluster, type Cluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { PGBACKREST_PRESENT } from '../support/pitr.js';

/** Bytes, mode and owner of a file, to compare before and after. */
const identity = (path: string) => {
  if (!existsSync(path)) return 'absent';
  const st = statSync(path);
  return `${createHash('sha256').update(readFileSync(path)).digest('hex')} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
};

/** A setting as a fresh session sees it (a restart ends the cluster's shared session). */
async function show(c: Cluster, name: string): Promise<string> {
  const client = await c.connect();
  try {
    return (await client.query<{ v: string }>(`SELECT current_setting('${name}') AS v`)).rows[0]!.v;
  } finally {
    await client.end();
  }
}

/** A write, then a WAL switch; returns the segment the switch closed. */
async function switchWal(c: Cluster): Promise<string> {
  const client = await c.connect();
  try {
    await client.query('SELECT txid_current()');
    return (await client.query<{ w: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS w')).rows[0]!.w;
  } finally {
    await client.end();
  }
}

async function archiver(c: Cluster): Promise<{ lastFailed: string | null }> {
  const client = await c.connect();
  try {
    return (
      await client.query<{ lastFailed: string | null }>('SELECT last_failed_wal AS "lastFailed" FROM pg_stat_archiver')
    ).rows[0]!;
  } finally {
    await client.end();
  }
}

/** Polls a condition the server reaches on its own (the archiver works in the background), for up to 5 minutes (a hang detector). */
async function waitFor(done: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 3000; i++) {
    if (await done()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

interface Work {
  dir: string;
  repo: string;
  config: string;
  log: string;
}

/** A temp directory the server's OS user can reach, with pgBackRest's log directory owned by it. */
function useWork(c: () => Cluster): () => Work {
  let w: Work | undefined;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-pitr-'));
    chmodSync(dir, 0o755);
    const log = join(dir, 'log');
    mkdirSync(log);
    chownSync(log, c().uid, c().gid);
    // In a directory that does not exist yet, as /etc/pgbackrest/conf.d on Debian: the plan makes it.
    w = { dir, repo: join(dir, 'repo'), config: join(dir, 'conf.d', 'pgbackrest.conf'), log };
  });
  afterAll(() => {
    if (w) rmSync(w.dir, { recursive: true, force: true });
  });
  return () => w!;
}

/** Rollback exits 0; postgresql.auto.conf is as it was byte for byte, the pgBackRest file gone, archiving off. */
async function expectRolledBack(c: Cluster, w: Work, plan: string, autoBefore: string): Promise<void> {
  const back = pgharden(['rollback', plan]);
  expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
  expect(identity(join(c.dataDir, 'postgresql.auto.conf'))).toBe(autoBefore);
  expect(existsSync(w.config)).toBe(false);
  expect(existsSync(join(w.dir, 'conf.d')), 'the directory the plan made').toBe(false);
  expect(await show(c, 'archive_mode')).toBe('off');
}

/** The restart an operator runs (pg_ctl restart as the server's OS user). */
function restartByHand(c: Cluster): void {
  const r = spawnSync(join(c.install.bindir, 'pg_ctl'), ['restart', '-D', c.dataDir, '-w', '-l', c.logFile], {
    uid: c.uid,
    gid: c.gid,
    cwd: '/',
    stdio: 'ignore',
    timeout: 600_000,
  });
  expect(r.status).toBe(0);
}

const enable = (c: Cluster, w: Work, out: string, extra: string[]) =>
  pgharden([
    'pitr',
    'enable',
    '--dsn',
    `host=${c.socketDir} port=${c.port}`,
    '--repo',
    w.repo,
    '--config',
    w.config,
    '--log-path',
    w.log,
    '--out',
    join(w.dir, out),
    ...extra,
  ]);

const auditIds = (c: Cluster) =>
  (
    JSON.parse(pgharden(['audit', '--json', '--dsn', `host=${c.socketDir} port=${c.port}`]).stdout) as {
      findings: { id: string }[];
    }
  ).findings.map((f) => f.id);

if (!PGBACKREST_PRESENT) it.skip('pgbackrest is not installed (apt-get install pgbackrest)', () => {});
describe.each(PGBACKREST_PRESENT ? testedInstalls().filter((i) => i.major <= 15) : [])(
  'pitr enable on PostgreSQL $major',
  (install) => {
    const cluster = useCluster(install);
    const work = useWork(cluster);
    // pgBackRest 2.45 (Debian's package here) reads pg_control up to PostgreSQL 15: a newer major is
    // refused at plan time (the describe below).

    it('refuses an archive_command it did not write (exit 3), and without --restart stops at the restart line', async () => {
      const c = cluster();
      const w = work();
      const auto = join(c.dataDir, 'postgresql.auto.conf');
      await c.query("ALTER SYSTEM SET archive_command = 'cp %p /nowhere/%f'");
      await c.reload();
      const refused = enable(c, w, 'plans/foreign', []);
      expect(refused.code, refused.stderr).toBe(3);
      expect(refused.stderr).toContain("archive_command is already set to 'cp %p /nowhere/%f'");
      const noBackup = pgharden(['pitr', 'backup', '--dsn', `host=${c.socketDir} port=${c.port}`]);
      expect(noBackup.code, noBackup.stderr).toBe(2);
      expect(noBackup.stderr).toContain('Next: set it up with: pgharden pitr enable');
      await c.query('ALTER SYSTEM RESET archive_command');
      await c.reload();

      const before = identity(auto);
      const r = enable(c, w, 'plans/wait', ['--yes']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`Restart it with: pg_ctl restart -D ${c.dataDir}`);
      expect(r.stderr).toContain(`then run pgharden apply ${join(w.dir, 'plans/wait')} to continue`);
      expect(readFileSync(auto, 'utf8')).toContain("archive_mode = 'on'");
      expect(await show(c, 'archive_mode')).toBe('off');
      {
        // As the message says: restart, then apply again; it goes on from the stop to the proof.
        restartByHand(c);
        const resumed = pgharden(['apply', join(w.dir, 'plans/wait'), '--yes']);
        expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
        expect(resumed.stdout).toContain('prove/wal-switch');
      }

      const back = pgharden(['rollback', join(w.dir, 'plans/wait')]);
      expect(back.code, back.stderr).toBe(0);
      expect(identity(auto)).toBe(before);
      expect(existsSync(w.config)).toBe(false);
      // This plan did not restart the server, so neither does its rollback: archive_mode goes off at the next restart.
      restartByHand(c);
      expect(await show(c, 'archive_mode')).toBe('off');
    });

    it('refuses paths it would take over, every reason at once, before any change', async () => {
      const c = cluster();
      const w = work();
      const auto = join(c.dataDir, 'postgresql.auto.conf');
      const before = [identity(c.confFile), identity(auto)];
      // Someone else's directory with their files in it, and a log directory only root can write.
      const foreign = join(w.dir, 'theirs');
      mkdirSync(foreign, { mode: 0o755 });
      writeFileSync(join(foreign, 'notes.txt'), 'not pgBackRest\n');
      chownSync(foreign, 65534, 65534);
      const rootLog = join(w.dir, 'root-log');
      mkdirSync(rootLog, { mode: 0o755 });
      const foreignBefore = `${identity(join(foreign, 'notes.txt'))} ${statSync(foreign).mode.toString(8)} ${statSync(foreign).uid}`;
      const dsn = `host=${c.socketDir} port=${c.port}`;
      const attempt = (out: string, args: string[]) =>
        pgharden(['pitr', 'enable', '--dsn', dsn, '--out', join(w.dir, out), '--restart', '--yes', ...args]);

      const both = attempt('plans/takeover', ['--repo', foreign, '--config', c.confFile, '--log-path', rootLog]);
      expect(both.code, both.stderr).toBe(3);
      expect(both.stderr).toContain(
        `--repo ${foreign} already exists and is owned by uid 65534, not by the server's OS user`,
      );
      expect(both.stderr).toContain(`install -d -o postgres -g postgres -m 0750 ${foreign}`);
      expect(both.stderr).toContain(`--config ${c.confFile} is inside the data directory ${c.dataDir}`);
      expect(both.stderr).toContain(`--config ${c.confFile} is one of the server's configuration files`);
      expect(both.stderr).toContain(`--log-path ${rootLog} is not writable by the server's OS user postgres`);

      const inData = attempt('plans/in-data', ['--repo', join(c.dataDir, 'pgbackrest'), '--log-path', w.log]);
      expect(inData.code, inData.stderr).toBe(3);
      expect(inData.stderr).toContain(`--repo ${join(c.dataDir, 'pgbackrest')} is inside the data directory`);
      const dotted = `${c.dataDir}/../data/pgbackrest`;
      const through = attempt('plans/dotted', ['--repo', dotted, '--log-path', w.log, '--stanza', '../../etc']);
      expect(through.code, through.stderr).toBe(2);
      expect(through.stderr).toContain(`--repo "${dotted}" has a ".." in it`);
      expect(through.stderr).toContain('--stanza "../../etc" is not a plain name');
      const quoted = attempt('plans/quoted', [
        '--repo',
        w.repo,
        '--log-path',
        `${w.log}'x`,
        '--config',
        `${w.config}'x`,
      ]);
      expect(quoted.code, quoted.stderr).toBe(2);
      expect(quoted.stderr).toContain(`--log-path "${w.log}'x" holds a quote`);
      expect(quoted.stderr).toContain(`--config "${w.config}'x" holds a quote`);
      const slash = attempt('plans/slash', ['--repo', '/', '--log-path', w.log, '--config', w.config]);
      expect(slash.code, slash.stderr).toBe(3);
      expect(slash.stderr).toContain('--repo / is a system directory');

      // Nothing changed: the server's files, the foreign directory, no plan, no repository in the data directory, the server as it was.
      expect([identity(c.confFile), identity(auto)]).toEqual(before);
      expect(
        `${identity(join(foreign, 'notes.txt'))} ${statSync(foreign).mode.toString(8)} ${statSync(foreign).uid}`,
      ).toBe(foreignBefore);
      for (const p of ['plans/takeover', 'plans/in-data', 'plans/dotted', 'plans/quoted', 'plans/slash'])
        expect(existsSync(join(w.dir, p)), p).toBe(false);
      expect(existsSync(join(c.dataDir, 'pgbackrest'))).toBe(false);
      expect(existsSync(join(w.dir, 'etc.conf')) || existsSync('/etc/etc.conf') || existsSync('/etc.conf')).toBe(false);
      expect(await show(c, 'archive_mode')).toBe('off');

      // A repository directory that appears between plan and apply, someone else's with files: apply stops there (exit 3).
      const late = join(w.dir, 'late-repo');
      const planned = join(w.dir, 'plans/late');
      const made = pgharden([
        'pitr',
        'enable',
        '--dsn',
        dsn,
        '--out',
        planned,
        '--repo',
        late,
        '--config',
        w.config,
        '--log-path',
        w.log,
      ]);
      expect(made.code, made.stderr).toBe(0);
      mkdirSync(late);
      writeFileSync(join(late, 'theirs.txt'), 'x\n');
      chownSync(late, 65534, 65534);
      const applied = pgharden(['apply', planned, '--yes']);
      expect(applied.code, applied.stderr).toBe(3);
      expect(applied.stderr).toContain(`${late} exists now, owned by uid 65534 with files in it`);
      expect(statSync(late).uid).toBe(65534);
      expect(pgharden(['rollback', planned]).code).toBe(0);
      expect([identity(c.confFile), identity(auto)]).toEqual(before);
      // Rollback removes only a repository its apply made: this one is someone else's, and stays.
      expect(readFileSync(join(late, 'theirs.txt'), 'utf8')).toBe('x\n');
      expect(statSync(late).uid).toBe(65534);
      rmSync(late, { recursive: true });
      rmSync(foreign, { recursive: true });
      rmSync(rootLog, { recursive: true });
    });

    it('with --restart: review announces the restart, apply proves archiving; backup, WAL switch, audit; rollback restores', async () => {
      const c = cluster();
      const w = work();
      const auto = join(c.dataDir, 'postgresql.auto.conf');
      const before = identity(auto);
      expect(auditIds(c)).toContain('wal-archiving-off');

      const plan = join(w.dir, 'plans/pitr');
      const made = enable(c, w, 'plans/pitr', ['--restart', '--retention-full', '1']);
      expect(made.code, made.stderr).toBe(0);
      expect(made.stdout).toMatch(/restart\/server \(command\)\n {6}RESTART the server \(pg_ctl restart -D /);
      const reviewed = pgharden(['review', plan]).stdout;
      expect(reviewed).toContain('prove/wal-switch');
      // The new pgBackRest file is diffed against nothing (it is absent), not against pg_hba.conf.
      expect(reviewed).toContain(`+++ ${w.config}\tafter pgbackrest/config\n      @@ -0,0 +1,`);
      expect(reviewed).not.toContain('-# PostgreSQL Client Authentication');

      const applied = pgharden(['apply', plan, '--yes']);
      expect(applied.code, `${applied.stdout}\n${applied.stderr}`).toBe(0);
      expect(await show(c, 'archive_mode')).toBe('on');
      const conf = statSync(w.config);
      expect([conf.mode & 0o777, conf.uid, conf.gid]).toEqual([0o640, 0, c.gid]);
      expect(statSync(w.repo).mode & 0o777).toBe(0o750);
      const afterEnable = auditIds(c);
      expect(afterEnable).not.toContain('wal-archiving-off');
      expect(afterEnable).not.toContain('wal-archiving-failing');
      // pgBackRest is pgharden's now: its info is the backup record, and it holds none yet.
      expect(afterEnable).toContain('backup-stale');

      const metrics = join(w.dir, 'pgharden.prom');
      const b = pgharden([
        'pitr',
        'backup',
        '--dsn',
        `host=${c.socketDir} port=${c.port}`,
        '--metrics',
        metrics,
        '--json',
      ]);
      expect(b.code, b.stderr).toBe(0);
      const backup = (JSON.parse(b.stdout) as { backup: { label: string; type: string; lsnStart: string } }).backup;
      expect(backup.type).toBe('full');
      expect(backup.label).toMatch(/^\d{8}-\d{6}F$/);
      expect(auditIds(c)).not.toContain('backup-stale');
      expect(readFileSync(metrics, 'utf8')).toContain(
        `pgharden_pitr_backup_info{cluster="pg${install.major}-${c.port}",stanza="pg${install.major}-${c.port}",label="${backup.label}",type="full",lsn_start="${backup.lsnStart}"`,
      );

      // Rows written after the backup travel in WAL: the switch closes their segment, which must reach the repository.
      const client = await c.connect();
      let segment: string;
      try {
        await client.query('CREATE TABLE after_backup AS SELECT g FROM generate_series(1, 1000) g');
        segment = (await client.query<{ w: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS w')).rows[0]!.w;
      } finally {
        await client.end();
      }
      const stanza = `pg${install.major}-${c.port}`;
      expect(await waitFor(async () => findSegment(w.repo, stanza, segment) !== null)).toBe(true);

      // A repository the server's OS user cannot enter: archive-push fails, and the audit says so until a segment gets through again.
      chmodSync(w.repo, 0);
      await switchWal(c);
      expect(await waitFor(async () => (await archiver(c)).lastFailed !== null)).toBe(true);
      expect(auditIds(c)).toContain('wal-archiving-failing');
      // pitr backup against that repository: pgBackRest's failure, with its own words and its exit 4, never "a bug".
      const failed = pgharden(['pitr', 'backup', '--dsn', `host=${c.socketDir} port=${c.port}`]);
      expect(failed.code, failed.stderr).toBe(4);
      expect(failed.stderr).toMatch(/pgharden: pgbackrest --config=\S+ --stanza=\S+ \w+ .*failed \(exit \d+\)/);
      expect(failed.stderr).toMatch(/\n {2}ERROR: \[\d+\]: unable to /);
      expect(failed.stderr).toContain('Permission denied');
      expect(failed.stderr).toContain("Next: pgBackRest's log");
      expect(failed.stderr).not.toContain('internal error');
      chmodSync(w.repo, 0o750);
      const next = await switchWal(c);
      expect(await waitFor(async () => findSegment(w.repo, stanza, next) !== null)).toBe(true);
      expect(auditIds(c)).not.toContain('wal-archiving-failing');

      await expectRolledBack(c, w, plan, before);
      // It holds a backup: rollback keeps it, and says so.
      expect(existsSync(w.repo)).toBe(true);
      // Its samples of this cluster are gone from the metrics file pitr backup wrote.
      expect(readFileSync(metrics, 'utf8')).not.toContain(`cluster="pg${install.major}-${c.port}"`);
    });

    it('rollback tells the rest: "removed" for what it created, runbook marked, samples, history and the empty repository gone', async () => {
      const c = cluster();
      const w = work();
      const dsn = `host=${c.socketDir} port=${c.port}`;
      const plan = join(w.dir, 'plans/story');
      // A repository of its own (the one before holds a backup): this plan creates it.
      const repo = join(w.dir, 'repo-story');
      const made = enable(c, w, 'plans/story', ['--restart', '--yes', '--repo', repo]);
      expect(made.code, `${made.stdout}\n${made.stderr}`).toBe(0);
      const book = join(w.dir, 'RUNBOOK.md');
      expect(pgharden(['runbook', '--out', book, '--dsn', dsn]).code).toBe(0);
      // A drill with no backup yet fails, and records its failure in the metrics and the history.
      const metrics = join(w.dir, 'story.prom');
      const other = 'pgharden_pitr_rpo_seconds{cluster="15/other",stanza="15-other"} 1.000';
      const drill = pgharden(['pitr', 'drill', '--latest', '--metrics', metrics, '--dsn', dsn]);
      expect(drill.code, drill.stderr).toBe(1);
      const label = `cluster="pg${install.major}-${c.port}"`;
      expect(readFileSync(metrics, 'utf8')).toContain(`pgharden_pitr_drill_last_run_success{${label}`);
      writeFileSync(metrics, `${readFileSync(metrics, 'utf8')}${other}\n`);
      const history = join(w.dir, 'conf.d', `pgharden-drills-pg${install.major}-${c.port}`);
      expect(existsSync(history)).toBe(true);

      const back = pgharden(['rollback', plan]);
      expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
      expect(back.stdout).toContain(`removed ${w.config}`);
      expect(back.stdout).not.toContain(`restored ${w.config}`);
      expect(back.stdout).toContain(`marked the runbook ${book} no longer valid`);
      expect(readFileSync(book, 'utf8')).toMatch(/^> \*\*NO LONGER VALID\*\* /);
      const prom = readFileSync(metrics, 'utf8');
      expect(prom).not.toContain(label);
      // The other cluster's sample stays (its value as a number: 1.000 reads back as 1).
      expect(prom).toContain('pgharden_pitr_rpo_seconds{cluster="15/other",stanza="15-other"} 1');
      expect(existsSync(history)).toBe(false);
      expect(existsSync(join(w.dir, 'conf.d'))).toBe(false);
      expect(existsSync(repo), 'the repository it created held no backup').toBe(false);
      expect(back.stdout).toContain(`removed the repository ${repo}`);
      expect(await show(c, 'archive_mode')).toBe('off');
      // A second rollback changes nothing and says so.
      const again = pgharden(['rollback', plan]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).not.toContain('removed the repository');
    });
  },
);

// A major the installed pgBackRest (2.45) cannot read: 17, else 18, from the npm packages, whatever
// PGHARDEN_PG_VERSIONS says (this is the refusal's only proof). Before the gate, apply restarted the
// server into archive_mode=on and stopped at stanza-create ("unexpected control version = 1700"),
// leaving WAL to pile up in pg_wal.
const unreadable = findInstall(17) ?? findInstall(18);
describe.runIf(PGBACKREST_PRESENT && unreadable)('pitr on a major pgBackRest 2.45 cannot read', () => {
  const cluster = useCluster(unreadable!);
  const work = useWork(cluster);

  it('pitr enable is refused at plan time (exit 3), naming the release to install; nothing changes', async () => {
    const c = cluster();
    const w = work();
    const auto = join(c.dataDir, 'postgresql.auto.conf');
    const before = identity(auto);
    const r = enable(c, w, 'plans/gate', ['--restart', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toContain(`pgBackRest 2.45 cannot read PostgreSQL ${unreadable!.major}`);
    expect(r.stderr).toMatch(/install pgBackRest 2\.(53\.1|55\.0) or later/);
    expect(existsSync(join(w.dir, 'plans/gate')), 'no plan directory').toBe(false);
    expect(existsSync(w.config)).toBe(false);
    expect(existsSync(w.repo)).toBe(false);
    expect(identity(auto)).toBe(before);
    expect(await show(c, 'archive_mode')).toBe('off');
    expect(await show(c, 'archive_command')).toMatch(/^(|\(disabled\))$/);
  });

  it('pitr backup, pitr drill and runbook refuse the pair too (exit 3)', async () => {
    const c = cluster();
    // A hand-set pgharden-shaped archive_command, so that each command reaches its gate.
    await c.query(
      "ALTER SYSTEM SET archive_command = 'pgbackrest --config=/nonexistent/pgbackrest.conf --stanza=gate archive-push %p'",
    );
    await c.query("ALTER SYSTEM SET archive_mode = 'on'");
    restartByHand(c);
    try {
      const dsn = `host=${c.socketDir} port=${c.port}`;
      for (const argv of [
        ['pitr', 'backup', '--dsn', dsn],
        ['pitr', 'drill', '--latest', '--dsn', dsn],
        ['runbook', '--dsn', dsn],
      ]) {
        const r = pgharden(argv);
        expect(r.code, `${argv.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(3);
        expect(r.stderr).toContain(`pgBackRest 2.45 cannot read PostgreSQL ${unreadable!.major}`);
      }
    } finally {
      // A fresh session: the restart ended the cluster's shared one.
      const client = await c.connect();
      try {
        await client.query('ALTER SYSTEM RESET archive_command');
        await client.query('ALTER SYSTEM RESET archive_mode');
      } finally {
        await client.end();
      }
      restartByHand(c);
    }
  });
});
