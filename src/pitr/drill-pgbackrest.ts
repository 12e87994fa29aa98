/**
 * What the drill and the runbook add to pgbackrest.ts: which backup a drill restores, where the
 * repository is, and where the drill's own state lives beside the stanza's configuration.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ArchiveTarget } from './archive-command.js';
import { stanzaInfo, type BackupInfo, type ServerOsUser } from './pgbackrest.js';

/** A restore or a whole replay may take this long before the drill gives up on it. */
export const PGBACKREST_TIMEOUT_MS = 6 * 3600_000;

/** The stanza's complete backup sets (no checksum error), oldest first. */
export async function backupSets(t: ArchiveTarget, as: ServerOsUser): Promise<BackupInfo[]> {
  return (await stanzaInfo(t, { as })).backups.filter((b) => !b.error);
}

/** The newest set that stopped strictly before `at` (its copy is consistent only from its stop). */
export function newestBefore(sets: readonly BackupInfo[], at: Date): BackupInfo | undefined {
  return sets.filter((s) => s.stop.getTime() < at.getTime()).at(-1);
}

/** The files pgBackRest reads for a target: its --config, or its default file and conf.d/*.conf. */
function configTexts(t: ArchiveTarget): string[] | undefined {
  const files = [t.configFile];
  if (t.defaultConfig) {
    const dir = join(dirname(t.configFile), 'conf.d');
    try {
      files.push(
        ...readdirSync(dir)
          .filter((f) => f.endsWith('.conf'))
          .sort()
          .map((f) => join(dir, f)),
      );
    } catch {
      // No conf.d: the file alone.
    }
  }
  const texts = files.flatMap((f) => {
    try {
      return [readFileSync(f, 'utf8')];
    } catch {
      return [];
    }
  });
  return texts.length ? texts : undefined;
}

/** An option of a stanza's configuration (its section, else [global], else `fallback`); undefined when no file is readable. */
export function stanzaOption(t: ArchiveTarget, name: string, fallback: string): string | undefined {
  const texts = configTexts(t);
  if (!texts) return undefined;
  const found: Record<string, string> = {};
  for (const text of texts) {
    let section = '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      const head = /^\[(.+)\]$/.exec(line);
      if (head) section = head[1]!;
      const kv = /^([a-z0-9-]+)\s*=\s*(.+)$/.exec(line);
      if (kv && kv[1] === name) found[section] = kv[2]!.trim();
    }
  }
  return found[t.stanza] ?? found.global ?? fallback;
}

/** The repository path a stanza uses (`repo1-path`, else pgBackRest's default); undefined when the file is unreadable. */
export const repositoryPath = (t: ArchiveTarget) => stanzaOption(t, 'repo1-path', '/var/lib/pgbackrest');

/** The repositories as the runbook names them: repo1's path, or an object store's s3:// address, its endpoint and cipher. */
export function repositoryText(t: ArchiveTarget): string | undefined {
  const path = repositoryPath(t);
  if (path === undefined) return undefined;
  const text = (key: number): string | null => {
    const o = (name: string) => stanzaOption(t, `repo${key}-${name}`, '') || '';
    const type = o('type') || (key === 1 || o('path') ? 'posix' : '');
    if (!type) return null;
    const cipher = o('cipher-type');
    const where =
      type === 's3'
        ? `s3://${o('s3-bucket')}${o('path') === '/' ? '' : o('path')} at ${o('s3-endpoint')}${o('storage-port') ? `:${o('storage-port')}` : ''}`
        : type === 'posix'
          ? `${o('path') || path} (a directory on this host)`
          : `${type} ${o('path')}`;
    return `repo${key} ${where}${cipher && cipher !== 'none' ? `, encrypted (${cipher})` : ''}`;
  };
  return [1, 2, 3, 4]
    .map(text)
    .filter((x): x is string => x !== null)
    .join('; ');
}

/** The last ERROR line pgBackRest logged for the stanza's archive-push (sync or async), or null. */
export function lastArchivePushError(t: ArchiveTarget): string | null {
  const dir = stanzaOption(t, 'log-path', '/var/log/pgbackrest');
  if (!dir) return null;
  let newest: { at: string; line: string } | null = null;
  for (const file of [`${t.stanza}-archive-push.log`, `${t.stanza}-archive-push-async.log`]) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8').slice(-65536);
    } catch {
      continue;
    }
    const line = text.split('\n').findLast((l) => / ERROR: /.test(l));
    if (line && (!newest || line.slice(0, 23) > newest.at)) newest = { at: line.slice(0, 23), line: line.trim() };
  }
  return newest?.line ?? null;
}

/** pgharden's drill state for a stanza, beside its pgBackRest configuration: `lock` (one drill at a time) and `history`. */
export const drillStateDir = (t: ArchiveTarget) => join(dirname(t.configFile), `pgharden-drills-${t.stanza}`);

/** The drill ledger of a stanza, which is also its drill history (results, the runbook's path). */
export const drillLedgerPath = (t: ArchiveTarget) => join(drillStateDir(t), 'history');
