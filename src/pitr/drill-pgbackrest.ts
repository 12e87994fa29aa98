/**
 * pgBackRest as the drill and the runbook drive it: always `--config=FILE --stanza=NAME` from the
 * server's archive_command (archive-command.ts), always as the server's OS user, and only the
 * commands that read the repository (`info`, `restore` into a scratch directory).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ArchiveTarget } from './archive-command.js';
import { run } from '../process/run.js';

/** Who pgBackRest and the scratch server run as: the live server's OS user. */
export interface ServerUser {
  uid: number;
  gid: number;
  name: string;
}

/** One backup set in the repository, as `pgbackrest info` reports it. */
export interface BackupSet {
  label: string;
  type: string;
  /** When the backup started and stopped. */
  start: Date;
  stop: Date;
  startLsn: string;
  stopLsn: string;
  /** The first WAL segment a restore of this set needs. */
  archiveStart: string;
}

/** A restore or a whole replay may take this long before the drill gives up on it. */
export const PGBACKREST_TIMEOUT_MS = 6 * 3600_000;

/** Runs `pgbackrest --config --stanza ARGS` as the server's OS user; returns stdout. */
export async function pgbackrest(t: ArchiveTarget, user: ServerUser, args: string[]): Promise<string> {
  const r = await run('pgbackrest', [`--config=${t.configFile}`, `--stanza=${t.stanza}`, ...args], {
    uid: user.uid,
    gid: user.gid,
    timeoutMs: PGBACKREST_TIMEOUT_MS,
  });
  return r.stdout;
}

interface InfoJson {
  backup?: {
    label: string;
    type: string;
    error?: boolean;
    timestamp: { start: number; stop: number };
    lsn?: { start: string; stop: string };
    archive?: { start: string; stop: string };
  }[];
}

/** The stanza's complete backup sets, oldest first, from `pgbackrest info --output=json`. */
export function parseBackupSets(json: string): BackupSet[] {
  const [stanza] = JSON.parse(json) as InfoJson[];
  return (stanza?.backup ?? [])
    .filter((b) => !b.error)
    .map((b) => ({
      label: b.label,
      type: b.type,
      start: new Date(b.timestamp.start * 1000),
      stop: new Date(b.timestamp.stop * 1000),
      startLsn: b.lsn?.start ?? '',
      stopLsn: b.lsn?.stop ?? '',
      archiveStart: b.archive?.start ?? '',
    }));
}

/** The newest set that stopped strictly before `at` (its copy is consistent only from its stop). */
export function newestBefore(sets: readonly BackupSet[], at: Date): BackupSet | undefined {
  return sets.filter((s) => s.stop.getTime() < at.getTime()).at(-1);
}

/** The repository path a stanza uses (`repo1-path` of its section, else of [global], else pgBackRest's default); undefined when the file is unreadable. */
export function repositoryPath(t: ArchiveTarget): string | undefined {
  let text: string;
  try {
    text = readFileSync(t.configFile, 'utf8');
  } catch {
    return undefined;
  }
  let section = '';
  const found: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) section = head[1]!;
    const kv = /^repo1-path\s*=\s*(.+)$/.exec(line);
    if (kv) found[section] = kv[1]!.trim();
  }
  return found[t.stanza] ?? found.global ?? '/var/lib/pgbackrest';
}

/** pgharden's drill state for a stanza, beside its pgBackRest configuration: `lock` (one drill at a time) and `history`. */
export const drillStateDir = (t: ArchiveTarget) => join(dirname(t.configFile), `pgharden-drills-${t.stanza}`);

/** The drill ledger of a stanza, which is also its drill history (results, the runbook's path). */
export const drillLedgerPath = (t: ArchiveTarget) => join(drillStateDir(t), 'history');
