/**
 * What the drill reads from the live server before it touches anything: that archiving is
 * pgharden's (the archive_command names the stanza and its configuration), who the server runs
 * as, its major and the settings a recovery needs, and pg_stat_archiver (the RPO); and the wait
 * until a WAL segment has reached the repository.
 */
import { statSync } from 'node:fs';
import type { SqlSessions } from '../backup/dump.js';
import { clusterLabel } from '../cluster/cluster-label.js';
import { osUserName } from '../connect/connect.js';
import { InputError, RefusedError } from '../core/errors.js';
import type { ArchiveTarget, TargetOverride } from './archive-command.js';
import { overridden } from './repo-backup.js';
import type { ServerOsUser } from './pgbackrest.js';
import { requirePgBackRestFor } from './version-gate.js';

/** The live facts a drill starts from. */
export interface LiveFacts {
  archive: ArchiveTarget;
  user: ServerOsUser;
  major: number;
  dataDirectory: string;
  /** The role the drill is connected as (a superuser), also used in the scratch copy. */
  role: string;
  walSegmentSize: number;
  /** Settings the recovered copy needs at least as high as the live server's (prepared transactions replay). */
  recoverySettings: Record<string, string>;
  lastArchivedWal: string | null;
  lastArchivedTime: Date | null;
  /** The RPO bound now: seconds since the oldest write not yet archived (0 when every write is archived); null when nothing was ever archived. */
  rpoBoundSeconds: number | null;
  /** archive_timeout in seconds, the RPO target `pitr enable --rpo` sets; null when 0 (off). */
  rpoTargetSeconds: number | null;
  /** This cluster in the metrics: `15/main` or `pg15-5432`. */
  cluster: string;
  now: Date;
}

/** A WAL segment's name without a suffix (`.partial`, `.backup`, `.history` files sort by their segment). */
const segmentOf = (wal: string | null) => (wal && /^[0-9A-F]{24}/.test(wal) ? wal.slice(0, 24) : null);

/** The byte position just past a WAL segment (`segBytes` each). */
function segmentEnd(wal: string, segBytes: number): bigint {
  const log = BigInt(Number.parseInt(wal.slice(8, 16), 16));
  const seg = BigInt(Number.parseInt(wal.slice(16, 24), 16));
  return log * 0x100000000n + (seg + 1n) * BigInt(segBytes);
}

/** `0/3000060` → its byte position. */
const lsnBytes = (lsn: string) => {
  const [hi, lo] = lsn.split('/');
  return BigInt(Number.parseInt(hi!, 16)) * 0x100000000n + BigInt(Number.parseInt(lo!, 16));
};

/**
 * The RPO bound: with WAL written past the last archived segment, the oldest of those writes came
 * after that segment was closed, so at most now − last_archived_time ago (plus the archiver's own
 * latency); with none, 0. Null when nothing was ever archived.
 */
export function rpoBound(a: {
  lastArchivedWal: string | null;
  lastArchivedTime: Date | null;
  currentLsn: string;
  segBytes: number;
  now: Date;
}): number | null {
  const seg = segmentOf(a.lastArchivedWal);
  if (!seg || !a.lastArchivedTime) return null;
  if (lsnBytes(a.currentLsn) <= segmentEnd(seg, a.segBytes)) return 0;
  return Math.max(0, (a.now.getTime() - a.lastArchivedTime.getTime()) / 1000);
}

const ENABLE_NEXT =
  'set up archiving with pgharden first: pgharden pitr enable --repo DIR --restart (then pgharden pitr backup), and run the drill again';

/** Reads and checks the live facts; refuses (exit 3) when archiving is not pgharden's or the drill cannot run here. */
export async function liveFacts(s: SqlSessions, override: TargetOverride = {}): Promise<LiveFacts> {
  const [f] = await s.query<Record<string, string | Date | null>>(
    `SELECT current_setting('archive_mode') AS archive_mode, current_setting('archive_command') AS archive_command,
      current_setting('data_directory') AS data_directory, current_setting('server_version_num') AS version,
      current_setting('max_prepared_transactions') AS max_prepared_transactions,
      current_setting('max_locks_per_transaction') AS max_locks_per_transaction,
      current_setting('shared_preload_libraries') AS shared_preload_libraries,
      current_setting('wal_segment_size') AS wal_segment_size, pg_size_bytes(current_setting('wal_segment_size')) AS seg_bytes,
      current_user AS role, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)::text AS superuser,
      a.last_archived_wal, a.last_archived_time, now() AS now, pg_current_wal_lsn()::text AS lsn,
      current_setting('config_file') AS config_file, current_setting('port') AS port,
      (SELECT setting FROM pg_settings WHERE name = 'archive_timeout') AS archive_timeout
     FROM pg_stat_archiver a`,
  );
  const archive = overridden(String(f!.archive_command ?? ''), override);
  if (!archive || f!.archive_mode === 'off')
    throw new RefusedError(
      f!.archive_mode === 'off'
        ? 'WAL archiving is off on this server (archive_mode = off): there is nothing to recover to a point in time from'
        : `WAL archiving on this server was not set up by pgharden, and its archive_command ("${f!.archive_command}") is not a pgBackRest archive-push pgharden can read (pgbackrest [--config FILE] --stanza NAME archive-push %p), so the drill cannot tell which pgBackRest stanza and configuration hold its WAL`,
      ENABLE_NEXT,
    );
  await requirePgBackRestFor(Math.floor(Number(f!.version) / 10000), 'pitr drill');
  if (f!.superuser !== 'true')
    throw new RefusedError(
      `The drill needs a superuser (to mark a restore point and count every table); role "${f!.role}" is not one`,
      'connect as the server\'s superuser, e.g. sudo pgharden pitr drill (the local socket as the "postgres" OS user)',
    );
  const dataDirectory = String(f!.data_directory);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dataDirectory);
  } catch {
    throw new RefusedError(
      `The drill runs on the database server's machine: the data directory "${dataDirectory}" is not here`,
      'run pgharden pitr drill on the server itself (sudo pgharden pitr drill)',
    );
  }
  const user: ServerOsUser = { uid: Number(st.uid), gid: Number(st.gid), name: osUserName(Number(st.uid)) };
  const me = process.geteuid?.() ?? 0;
  if (me !== 0 && me !== user.uid)
    throw new RefusedError(
      `The drill runs pgBackRest and a scratch server as the server's OS user "${user.name}"; pgharden runs as uid ${me}`,
      `run it as root (sudo pgharden pitr drill) or as ${user.name} (sudo -u ${user.name} pgharden pitr drill)`,
    );
  return {
    archive,
    user,
    major: Math.floor(Number(f!.version) / 10000),
    dataDirectory,
    role: String(f!.role),
    walSegmentSize: Number(f!.seg_bytes),
    recoverySettings: {
      max_prepared_transactions: String(f!.max_prepared_transactions),
      max_locks_per_transaction: String(f!.max_locks_per_transaction),
      shared_preload_libraries: String(f!.shared_preload_libraries),
    },
    lastArchivedWal: (f!.last_archived_wal as string | null) ?? null,
    lastArchivedTime: (f!.last_archived_time as Date | null) ?? null,
    rpoBoundSeconds: rpoBound({
      lastArchivedWal: (f!.last_archived_wal as string | null) ?? null,
      lastArchivedTime: (f!.last_archived_time as Date | null) ?? null,
      currentLsn: String(f!.lsn),
      segBytes: Number(f!.seg_bytes),
      now: f!.now as Date,
    }),
    rpoTargetSeconds: Number(f!.archive_timeout) > 0 ? Number(f!.archive_timeout) : null,
    cluster: clusterLabel(String(f!.config_file), Math.floor(Number(f!.version) / 10000), Number(f!.port)),
    now: f!.now as Date,
  };
}

/** Switches WAL and waits until `walFile` (or a later segment) is archived; throws naming the last failure. */
export async function waitArchived(s: SqlSessions, walFile: string, timeoutMs: number): Promise<void> {
  await s.query('SELECT pg_switch_wal()');
  const end = Date.now() + timeoutMs;
  for (;;) {
    const [a] = await s.query<{ w: string | null; f: string | null; t: Date | null }>(
      'SELECT last_archived_wal AS w, last_failed_wal AS f, last_failed_time AS t FROM pg_stat_archiver',
    );
    const done = segmentOf(a!.w);
    if (done && done >= walFile) return;
    if (Date.now() > end)
      throw new Error(
        `WAL segment ${walFile} did not reach the repository within ${Math.round(timeoutMs / 1000)} s (last archived: ${a!.w ?? 'none'}${a!.f ? `; last failure: ${a!.f} at ${a!.t?.toISOString()}` : ''}); see the server log for archive_command's errors`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The segment after `wal` on its timeline, for segments of `segBytes`. */
export function nextSegment(wal: string, segBytes: number): string {
  const perLog = 0x100000000 / segBytes;
  const tli = wal.slice(0, 8);
  let log = Number.parseInt(wal.slice(8, 16), 16);
  let seg = Number.parseInt(wal.slice(16, 24), 16) + 1;
  if (seg >= perLog) {
    seg = 0;
    log++;
  }
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return `${tli}${hex(log)}${hex(seg)}`;
}

/** The target time as the server reads it (UTC, microseconds), refusing what it cannot read or what is to come. */
export async function targetTime(live: SqlSessions, to: string): Promise<{ text: string; at: Date }> {
  const [t] = await live
    .query<{ t: string; d: Date; future: boolean }>(
      `SELECT to_char($1::timestamptz, 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t, $1::timestamptz AS d, $1::timestamptz > now() AS future`,
      [to],
    )
    .catch(() => {
      throw new InputError(
        `--to "${to}" is not a time PostgreSQL can read`,
        'give it as 2026-11-30 10:15:00+00 (ISO 8601 works too)',
      );
    });
  if (t!.future) throw new InputError(`--to "${to}" is in the future`, 'give a time before now');
  return { text: t!.t, at: t!.d };
}
