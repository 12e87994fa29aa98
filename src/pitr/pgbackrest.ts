/**
 * Running pgBackRest for a cluster, and reading what it says. pgBackRest runs as the server's OS
 * user (the owner of the data directory), like the archive_command the server runs: files it
 * writes into the repository and its lock and log files are then the ones archive-push can use
 * later. It is always given the `--config=FILE --stanza=NAME` that the archive_command names.
 */
import { statSync } from 'node:fs';
import { osUserName } from '../connect/connect.js';
import { RefusedError } from '../core/errors.js';
import { CommandError, run, type RunResult } from '../process/run.js';
import { targetArgs, type ArchiveTarget } from './archive-command.js';

/** The OS user a cluster's server runs as. */
export interface ServerOsUser {
  uid: number;
  gid: number;
  name: string;
}

/** The owner of the data directory: the only user PostgreSQL lets run the server. */
export function serverOsUser(dataDirectory: string): ServerOsUser {
  const st = statSync(dataDirectory);
  return { uid: st.uid, gid: st.gid, name: osUserName(st.uid) };
}

/** How one pgBackRest command runs. */
export interface PgBackRestOptions {
  /** Run as this user (from `serverOsUser`); pgharden must be root or this user already. */
  as: ServerOsUser;
  /** Default 10 minutes (a backup of a large cluster may need more). */
  timeoutMs?: number;
}

/** `pgbackrest --config=FILE --stanza=NAME COMMAND ARGS…` as the server's OS user. */
export async function pgbackrest(
  target: ArchiveTarget,
  command: string,
  args: string[],
  o: PgBackRestOptions,
): Promise<RunResult> {
  const me = process.geteuid?.() ?? -1;
  if (me !== 0 && me !== o.as.uid)
    throw new RefusedError(
      `pgBackRest must run as the server's OS user ${o.as.name}, and pgharden runs as uid ${me}`,
      `run pgharden as root (sudo) or as ${o.as.name}`,
    );
  const argv = [...targetArgs(target), command, ...args];
  try {
    return await run('pgbackrest', argv, {
      timeoutMs: o.timeoutMs ?? 600_000,
      ...(me === o.as.uid ? {} : { uid: o.as.uid, gid: o.as.gid }),
      // pgBackRest reads PGBACKREST_* variables as options: only the config file may decide.
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PGBACKREST_'))),
      cwd: '/',
    });
  } catch (err) {
    // The hint pgBackRest's failures share: its log, and its own check of the whole set-up.
    if (err instanceof CommandError && err.next)
      err.next = `pgBackRest's log (log-path in ${target.configFile ?? 'its configuration'}, default /var/log/pgbackrest) says more; check the repository and the stanza with: sudo -u ${o.as.name} pgbackrest ${targetArgs(target).join(' ')} check`;
    throw err;
  }
}

/** One backup in the repository, as `pgbackrest info --output=json` lists it. */
export interface BackupInfo {
  /** e.g. `20261130-104512F`, or `…F_20261130-104600I` for an incremental. */
  label: string;
  type: 'full' | 'diff' | 'incr';
  /** When the backup started and stopped (pg_backup_start / pg_backup_stop). */
  start: Date;
  stop: Date;
  /** The WAL positions of the backup's start and stop; null on a pgBackRest too old to say. */
  lsnStart: string | null;
  lsnStop: string | null;
  /** The first and last WAL segment the backup needs. */
  walStart: string;
  walStop: string;
  /** The backup this one depends on (diff, incr), or null. */
  prior: string | null;
  /** Set when pgBackRest found a checksum error while copying. */
  error: boolean;
}

/** One stanza of `pgbackrest info --output=json`. */
export interface StanzaInfo {
  name: string;
  /** pgBackRest's status: 0 ok, 1 missing stanza path, 2 no valid backups, … */
  status: { code: number; message: string };
  /** Oldest first, as pgBackRest lists them. */
  backups: BackupInfo[];
  /** The oldest and newest archived WAL segment of the current database, or null when none. */
  archive: { min: string; max: string } | null;
  /** Each repository's own status (pgBackRest 2.33+): its message names the cause, e.g. "Permission denied". */
  repos: { key: number; code: number; message: string }[];
}

/**
 * Why pgBackRest's answer says nothing about the backups (a repository it could not read, a
 * stanza it has no data for), or null when it does: status 0 (ok) or 2 (no valid backup).
 */
export function unreadable(info: StanzaInfo): string | null {
  if (info.status.code === 0 || info.status.code === 2) return null;
  const causes = info.repos.filter((r) => r.code !== 0 && r.code !== 2).map((r) => `repo${r.key}: ${r.message}`);
  return `pgbackrest info reports status ${info.status.code} (${info.status.message})${causes.length ? `: ${causes.join('; ')}` : ''}`;
}

interface RawBackup {
  label: string;
  type: BackupInfo['type'];
  timestamp: { start: number; stop: number };
  lsn?: { start: string; stop: string };
  archive: { start: string; stop: string };
  prior: string | null;
  error?: boolean;
}

interface RawStanza {
  name: string;
  status: { code: number; message: string };
  backup?: RawBackup[];
  archive?: { id: string; min: string | null; max: string | null }[];
  db?: { id: number; 'system-id': number; version: string }[];
  repo?: { key: number; status: { code: number; message: string } }[];
}

/** Parses `pgbackrest info --output=json`; throws on output that is not its shape. */
export function parseInfo(json: string): StanzaInfo[] {
  const raw = JSON.parse(json) as RawStanza[];
  if (!Array.isArray(raw)) throw new Error('pgbackrest info --output=json did not print a list');
  return raw.map((s) => {
    const archives = (s.archive ?? []).filter((a) => a.min && a.max);
    const last = archives.at(-1);
    return {
      name: s.name,
      status: { code: s.status.code, message: s.status.message },
      backups: (s.backup ?? []).map((b) => ({
        label: b.label,
        type: b.type,
        start: new Date(b.timestamp.start * 1000),
        stop: new Date(b.timestamp.stop * 1000),
        lsnStart: b.lsn?.start ?? null,
        lsnStop: b.lsn?.stop ?? null,
        walStart: b.archive.start,
        walStop: b.archive.stop,
        prior: b.prior,
        error: b.error === true,
      })),
      archive: last ? { min: last.min!, max: last.max! } : null,
      repos: (s.repo ?? []).map((r) => ({ key: r.key, code: r.status.code, message: r.status.message })),
    };
  });
}

/** `pgbackrest info` for the target's stanza. */
export async function stanzaInfo(target: ArchiveTarget, o: PgBackRestOptions): Promise<StanzaInfo> {
  const { stdout } = await pgbackrest(target, 'info', ['--output=json'], { timeoutMs: 60_000, ...o });
  const mine = parseInfo(stdout).find((s) => s.name === target.stanza);
  if (!mine) throw new Error(`pgbackrest info does not list stanza ${target.stanza}`);
  return mine;
}

/** The newest backup of a stanza, or null when it has none. */
export const newestBackup = (info: StanzaInfo): BackupInfo | null => info.backups.at(-1) ?? null;
