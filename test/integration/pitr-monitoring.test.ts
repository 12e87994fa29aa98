/**
 * Monitoring that tells two clusters apart and says what it could not read. Two clusters on one
 * host archive to their own pgBackRest stanzas (pitr enable --restart; the first with --rpo 300):
 * every pgharden_pitr_* and pgharden_drill_* sample in the shared metrics file carries its cluster
 * and stanza, and after a drill of the first only, the audit of the second still reports
 * drill-stale, with --metrics and without it (the drill history). A repository pgBackRest cannot
 * read is an audit limit naming "Permission denied", never "no successful backup found", and the
 * archiving failure it causes carries pgBackRest's own error.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls, type Cluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { PGBACKREST_PRESENT, startArchivingCluster, type PitrSetup } from '../support/pitr.js';

if (!PGBACKREST_PRESENT) it.skip('pgbackrest is not installed (apt-get install pgbackrest)', () => {});
const install = PGBACKREST_PRESENT ? testedInstalls().find((i) => i.major <= 15) : undefined;

interface Audit {
  findings: { id: string; evidence: string[] }[];
  limits: string[];
}

const dsnOf = (c: Cluster) => `host=${c.socketDir} port=${c.port}`;
const audit = (c: Cluster, extra: string[] = []): Audit => {
  const r = pgharden(['audit', '--json', '--dsn', dsnOf(c), ...extra]);
  return JSON.parse(r.stdout) as Audit;
};

/** Polls for up to 5 minutes: a hang detector, not a speed check. */
async function waitFor(done: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 3000; i++) {
    if (await done()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe.runIf(install)('pgBackRest monitoring of two clusters on one host', () => {
  const a: { cluster?: Cluster; pitr?: PitrSetup; stop?: () => Promise<void> } = {};
  const b: { cluster?: Cluster; pitr?: PitrSetup; stop?: () => Promise<void> } = {};
  let metrics: string;

  beforeAll(async () => {
    Object.assign(a, await startArchivingCluster(install!, 'mona', ['--rpo', '300']));
    Object.assign(b, await startArchivingCluster(install!, 'monb'));
    metrics = join(a.pitr!.repo, '..', 'pgharden.prom');
    for (const x of [a, b]) {
      const r = pgharden(['pitr', 'backup', '--type', 'full', '--dsn', dsnOf(x.cluster!), '--metrics', metrics]);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await a.stop?.();
    await b.stop?.();
  });

  it('--rpo sets archive_timeout; the drill reports its RPO bound against it; every sample is labelled', async () => {
    const ca = a.cluster!;
    expect((await ca.query<{ t: string }>("SELECT current_setting('archive_timeout') AS t"))[0]!.t).toBe('5min');
    const r = pgharden(['pitr', 'drill', '--latest', '--json', '--metrics', metrics, '--dsn', dsnOf(ca)]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { rpoSeconds: number; rpoTargetSeconds: number; notes: string[] };
    expect(out.rpoTargetSeconds).toBe(300);
    expect(out.rpoSeconds).toBeGreaterThanOrEqual(0);
    expect(out.notes.join('\n')).toMatch(/RPO bound \d+\.\d s, within the target 300 s \(archive_timeout\)/);

    const samples = readFileSync(metrics, 'utf8')
      .split('\n')
      .filter((l) => /^pgharden_(pitr|drill)_/.test(l));
    expect(samples.length).toBeGreaterThan(8);
    for (const l of samples) expect(l).toMatch(/^\w+\{cluster="pg\d+-\d+",stanza="mon[ab]"/);
    const la = `cluster="pg${install!.major}-${ca.port}",stanza="mona"`;
    const lb = `cluster="pg${install!.major}-${b.cluster!.port}",stanza="monb"`;
    expect(samples.some((l) => l.startsWith(`pgharden_drill_last_success_timestamp_seconds{${la},kind="pitr"}`))).toBe(
      true,
    );
    expect(samples.some((l) => l.startsWith(`pgharden_pitr_rpo_target_seconds{${la}} 300.000`))).toBe(true);
    expect(samples.some((l) => l.startsWith(`pgharden_pitr_backup_last_run_success{${la}} 1`))).toBe(true);
    expect(samples.some((l) => l.startsWith(`pgharden_pitr_backup_last_run_success{${lb}} 1`))).toBe(true);
    expect(samples.some((l) => l.startsWith(`pgharden_drill_last_success_timestamp_seconds{${lb}`))).toBe(false);
  });

  it('drill-stale fires for the never-drilled cluster, with --metrics and from its drill history alone', () => {
    const ids = (x: Audit) => x.findings.map((f) => f.id);
    const bWith = audit(b.cluster!, ['--metrics', metrics]);
    expect(ids(bWith)).toContain('drill-stale');
    expect(bWith.findings.find((f) => f.id === 'drill-stale')!.evidence).toEqual([
      'no successful restore drill recorded',
    ]);
    expect(ids(audit(b.cluster!))).toContain('drill-stale');
    // The drilled one is judged fresh both ways; neither lists the drill as unjudged.
    const aWith = audit(a.cluster!, ['--metrics', metrics]);
    const aAlone = audit(a.cluster!);
    expect(ids(aWith)).not.toContain('drill-stale');
    expect(ids(aAlone)).not.toContain('drill-stale');
    expect(aAlone.limits.join('\n')).not.toContain('drill-stale not judged');
    expect(ids(aAlone)).not.toContain('backup-stale');
    // Its only repository is a directory on this host: backup-same-host (high) names it.
    const same = aAlone.findings.find((f) => f.id === 'backup-same-host');
    expect(same!.evidence[0]).toBe(
      `repo1: a directory on this host, ${a.pitr!.repo} (repo1-type=posix, no repo1-host)`,
    );
  });

  it('an unreadable repository is a limit with its cause, not "no backup"; the archiving failure carries pgBackRest\'s error', async () => {
    const cb = b.cluster!;
    const repo = b.pitr!.repo;
    chmodSync(repo, 0);
    try {
      await cb.query('SELECT txid_current()');
      await cb.query('SELECT pg_switch_wal()');
      expect(
        await waitFor(async () =>
          (await cb.query<{ f: string | null }>('SELECT last_failed_wal AS f FROM pg_stat_archiver')).some(
            (x) => x.f !== null,
          ),
        ),
      ).toBe(true);
      const x = audit(cb);
      const text = JSON.stringify(x.findings);
      expect(text).not.toContain('no successful backup found');
      expect(x.findings.map((f) => f.id)).not.toContain('backup-stale');
      const limit = x.limits.find((l) => l.startsWith('backup-stale not judged'));
      expect(limit).toContain('Permission denied');
      const failing = x.findings.find((f) => f.id === 'wal-archiving-failing');
      expect(failing!.evidence.join('\n')).toMatch(
        /pgBackRest's last archive-push error: pgbackrest check: ERROR: .*Permission denied/,
      );
    } finally {
      chmodSync(repo, 0o750);
    }
  });
});
