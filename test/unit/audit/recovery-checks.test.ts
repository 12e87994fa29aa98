import { describe, expect, it } from 'vitest';
import { check as archiveLag } from '../../../src/audit/checks/archive-lag.js';
import { check as backupSameHost } from '../../../src/audit/checks/backup-same-host.js';
import { check as backupStale } from '../../../src/audit/checks/backup-stale.js';
import { check as drillStale } from '../../../src/audit/checks/drill-stale.js';
import { check as walArchivingFailing } from '../../../src/audit/checks/wal-archiving-failing.js';
import { check as walArchivingOff } from '../../../src/audit/checks/wal-archiving-off.js';
import type { Snapshot } from '../../../src/cluster/introspect.js';
import type { RecoveryFacts } from '../../../src/cluster/recovery-facts.js';

const NOW = '2026-11-30T12:00:00.000Z';
const archiving: RecoveryFacts = {
  now: NOW,
  archiveMode: 'on',
  walLevel: 'replica',
  archiveCommand: 'pgbackrest --config=/etc/pgbackrest/conf.d/15-main.conf --stanza=15-main archive-push %p',
  stanza: '15-main',
  archiver: {
    archivedCount: 12,
    lastArchivedWal: '00000001000000000000000C',
    lastArchivedTime: '2026-11-30T11:59:00.000Z',
    failedCount: 0,
    lastFailedWal: null,
    lastFailedTime: null,
  },
  lastBackup: { at: '2026-11-29T03:00:00.000Z', what: 'pgBackRest full backup 20261129-030000F' },
  lastDrill: { at: '2026-11-20T03:00:00.000Z', what: 'pitr drill' },
  backupSource: 'pgbackrest info',
  maxBackupAgeDays: 2,
  maxDrillAgeDays: 31,
};
// The recovery checks read only `recovery`.
const snap = (r: Partial<RecoveryFacts> | null) =>
  (r === null ? {} : { recovery: { ...archiving, ...r } }) as unknown as Snapshot;
const severities = (c: typeof walArchivingOff, r: Partial<RecoveryFacts> | null) =>
  c.run(snap(r)).map((f) => f.severity);

describe('recovery checks', () => {
  it('are silent on a server that archives, backs up and drills on time', () => {
    for (const c of [walArchivingOff, walArchivingFailing, backupStale, drillStale, archiveLag])
      expect(c.run(snap({}))).toEqual([]);
  });
  it('say nothing without recovery facts (a snapshot taken without them)', () => {
    for (const c of [walArchivingOff, walArchivingFailing, backupStale, drillStale, archiveLag])
      expect(c.run(snap(null))).toEqual([]);
  });
  it('report archiving off, or on with no command', () => {
    expect(severities(walArchivingOff, { archiveMode: 'off', archiveCommand: '(disabled)' })).toEqual(['medium']);
    const [f] = walArchivingOff.run(snap({ archiveMode: 'on', archiveCommand: '' }));
    expect(f!.evidence).toContain('archive_command is empty: WAL is kept, never archived');
  });
  it('report archiving failing when the last failure is newer than the last success', () => {
    const failing = {
      ...archiving.archiver!,
      failedCount: 3,
      lastFailedWal: '00000001000000000000000D',
      lastFailedTime: '2026-11-30T11:59:30.000Z',
    };
    const [f] = walArchivingFailing.run(snap({ archiver: failing }));
    expect(f!.severity).toBe('high');
    expect(f!.evidence[0]).toBe(
      'pg_stat_archiver: last failed 00000001000000000000000D at 2026-11-30T11:59:30.000Z (3 failures)',
    );
    // A failure followed by a success is history, not a finding.
    expect(
      walArchivingFailing.run(snap({ archiver: { ...failing, lastFailedTime: '2026-11-30T11:00:00.000Z' } })),
    ).toEqual([]);
    expect(
      severities(walArchivingFailing, { archiver: { ...failing, lastArchivedWal: null, lastArchivedTime: null } }),
    ).toEqual(['high']);
  });
  it('report a backup older than the limit, or none, and judge nothing when it is unknown', () => {
    const [f] = backupStale.run(
      snap({ lastBackup: { at: '2026-11-26T12:00:00.000Z', what: 'pgharden backup (dumps)' } }),
    );
    expect(f!.evidence[0]).toBe(
      'newest backup: pgharden backup (dumps), finished 2026-11-26T12:00:00.000Z (4.0 days ago; the limit is 2)',
    );
    expect(backupStale.run(snap({ lastBackup: null }))[0]!.evidence[0]).toBe('no successful backup found');
    expect(backupStale.run(snap({ lastBackup: undefined }))).toEqual([]);
  });
  it('report a drill older than the limit, or none', () => {
    expect(severities(drillStale, { lastDrill: { at: '2026-10-01T00:00:00.000Z', what: 'dump drill' } })).toEqual([
      'medium',
    ]);
    expect(drillStale.run(snap({ lastDrill: null }))[0]!.evidence).toEqual(['no successful restore drill recorded']);
    expect(drillStale.run(snap({ lastDrill: undefined }))).toEqual([]);
  });
  it("carry pgBackRest's own archive-push error when archiving fails, and say nothing of it otherwise", () => {
    const failing = {
      ...archiving.archiver!,
      failedCount: 1,
      lastFailedWal: '00000001000000000000000D',
      lastFailedTime: '2026-11-30T11:59:30.000Z',
    };
    const error =
      "2026-11-30 11:59:30.100 P00  ERROR: [041]: unable to open file '/repo/archive/x': [13] Permission denied";
    const [f] = walArchivingFailing.run(snap({ archiver: failing, archiveError: error }));
    expect(f!.evidence).toContain(`pgBackRest's last archive-push error: ${error}`);
    // An old error in the log, while archiving works again, is no finding.
    expect(walArchivingFailing.run(snap({ archiveError: error }))).toEqual([]);
  });
  it('report archive lag past twice archive_timeout, or past an hour without it', () => {
    const [f] = archiveLag.run(snap({ rpoBoundSeconds: 700, archiveTimeoutSeconds: 300 }));
    expect(f!.severity).toBe('medium');
    expect(f!.evidence[0]).toBe(
      'the oldest write not yet archived is up to 700 s old (the limit is 600 s: twice archive_timeout = 300)',
    );
    expect(archiveLag.run(snap({ rpoBoundSeconds: 500, archiveTimeoutSeconds: 300 }))).toEqual([]);
    const [quiet] = archiveLag.run(snap({ rpoBoundSeconds: 7200, archiveTimeoutSeconds: 0 }));
    expect(quiet!.fix.text).toContain('pgharden pitr enable --rpo');
    expect(archiveLag.run(snap({ rpoBoundSeconds: 1800, archiveTimeoutSeconds: 0 }))).toEqual([]);
    // All archived (0), never archived (null), unknown (absent), or archiving off: nothing to judge.
    expect(archiveLag.run(snap({ rpoBoundSeconds: 0 }))).toEqual([]);
    expect(archiveLag.run(snap({ rpoBoundSeconds: null }))).toEqual([]);
    expect(archiveLag.run(snap({ rpoBoundSeconds: 9999, archiveMode: 'off' }))).toEqual([]);
  });
  it('report a repository that is only a directory on this host (high), and not one with an off-box copy', () => {
    const local = { key: 1, type: 'posix', path: '/var/lib/pgbackrest', host: null };
    const [f] = backupSameHost.run(snap({ repositories: [local] }));
    expect(f!.severity).toBe('high');
    expect(f!.evidence[0]).toBe(
      'repo1: a directory on this host, /var/lib/pgbackrest (repo1-type=posix, no repo1-host)',
    );
    expect(
      backupSameHost.run(snap({ repositories: [local, { key: 2, type: 's3', path: '/pg', host: null }] })),
    ).toEqual([]);
    expect(backupSameHost.run(snap({ repositories: [{ ...local, host: 'backup.example' }] }))).toEqual([]);
    // Not read (no pgBackRest set-up, or its configuration unreadable): not judged.
    expect(backupSameHost.run(snap({}))).toEqual([]);
  });
});
