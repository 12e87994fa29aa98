/**
 * The live facts a disaster-recovery runbook is written from: versions and paths from the server,
 * the pgBackRest stanza and repository from its archive_command, the backup sets from the
 * repository, the last verified dump from `pgharden backup`'s directory, the last drill from the
 * drill history, and the newest hardening plan's rollback.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileLedger, type LedgerLine, type PitrDrillRecord } from '../backup/drill-ledger.js';
import type { SqlSessions } from '../backup/dump.js';
import { findInstall } from '../cluster/install.js';
import { firstDirectory } from '../conf/guc-list.js';
import type { ArchiveTarget, TargetOverride } from './archive-command.js';
import { overridden } from './repo-backup.js';
import { osUserName } from '../connect/connect.js';
import { backupSets, drillLedgerPath, repositoryText } from './drill-pgbackrest.js';
import { secretsPathFor } from './enable-secrets.js';
import type { BackupInfo } from './pgbackrest.js';
import { requirePgBackRestFor } from './version-gate.js';

/** Everything the runbook states; each part null when it could not be found. */
export interface RunbookFacts {
  at: string;
  version: string;
  major: number;
  bindir: string;
  dataDirectory: string;
  configFile: string;
  hbaFile: string;
  port: number;
  socketDir: string;
  /** Debian's `15/main`, when the configuration lives under /etc/postgresql. */
  debianCluster: string | null;
  osUser: string;
  archive:
    | (ArchiveTarget & {
        repository: string | null;
        /** A repository is encrypted: its passphrase (in the configuration) must be kept elsewhere too. */
        encrypted: boolean;
        /** pitr enable's copy of the passphrase and keys beside the configuration. */
        secretsFile?: string;
        sets: BackupInfo[];
      })
    | null;
  lastDump: { dir: string; at: string; verified: boolean; ok: boolean; databases: string[] } | null;
  lastDrill: PitrDrillRecord | null;
  lastPassedDrill: PitrDrillRecord | null;
  plan: { dir: string; name: string; createdAt: string } | null;
}

/** The newest run of `pgharden backup --out DIR` (its manifest.json). */
function lastDump(dir: string | undefined): RunbookFacts['lastDump'] {
  if (!dir || !existsSync(dir)) return null;
  const runs = readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'manifest.json')))
    .sort();
  const newest = runs.at(-1);
  if (!newest) return null;
  const m = JSON.parse(readFileSync(join(dir, newest, 'manifest.json'), 'utf8')) as {
    at: string;
    verified: boolean;
    ok: boolean;
    databases: { database: string }[];
  };
  return {
    dir: resolve(dir, newest),
    at: m.at,
    verified: m.verified,
    ok: m.ok,
    databases: m.databases.map((d) => d.database),
  };
}

/** The newest plan under `plansDir` (by its createdAt). */
function newestPlan(plansDir: string): RunbookFacts['plan'] {
  if (!existsSync(plansDir)) return null;
  const plans = readdirSync(plansDir).flatMap((d) => {
    try {
      const p = JSON.parse(readFileSync(join(plansDir, d, 'plan.json'), 'utf8')) as { name: string; createdAt: string };
      return [{ dir: resolve(plansDir, d), name: p.name, createdAt: p.createdAt }];
    } catch {
      return [];
    }
  });
  return plans.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1) ?? null;
}

export async function runbookFacts(
  s: SqlSessions,
  o: { backups?: string; plans?: string; now: Date; target?: TargetOverride },
): Promise<RunbookFacts> {
  const [f] = await s.query<Record<string, string>>(
    `SELECT version() AS version, current_setting('server_version_num') AS num, current_setting('data_directory') AS data,
      current_setting('config_file') AS config, current_setting('hba_file') AS hba, current_setting('port') AS port,
      current_setting('unix_socket_directories') AS socket, current_setting('archive_command') AS archive`,
  );
  const major = Math.floor(Number(f!.num) / 10000);
  const debian = /^\/etc\/postgresql\/([^/]+)\/([^/]+)\/postgresql\.conf$/.exec(f!.config!);
  let osUser = 'postgres';
  let uid: { uid: number; gid: number; name: string } | null = null;
  try {
    const st = statSync(f!.data!);
    osUser = osUserName(st.uid);
    uid = { uid: st.uid, gid: st.gid, name: osUser };
  } catch {
    // Another machine's server: the runbook still names the paths.
  }
  const target = overridden(f!.archive ?? '', o.target ?? {});
  let archive: RunbookFacts['archive'] = null;
  let history: LedgerLine[] = [];
  if (target) {
    await requirePgBackRestFor(major, 'runbook');
    let sets: BackupInfo[] = [];
    if (uid) sets = await backupSets(target, uid).catch(() => []);
    const secrets = secretsPathFor(target.configFile);
    archive = {
      ...target,
      repository: repositoryText(target) ?? null,
      encrypted: /encrypted/.test(repositoryText(target) ?? ''),
      ...(existsSync(secrets) ? { secretsFile: secrets } : {}),
      sets,
    };
    const ledgerFile = drillLedgerPath(target);
    if (existsSync(ledgerFile)) history = fileLedger(ledgerFile, 'pitr').records();
  }
  const drills = history.filter((r): r is PitrDrillRecord => r.kind === 'pitr-result');
  return {
    at: o.now.toISOString(),
    version: f!.version!,
    major,
    bindir: findInstall(major)?.bindir ?? `/usr/lib/postgresql/${major}/bin`,
    dataDirectory: f!.data!,
    configFile: f!.config!,
    hbaFile: f!.hba!,
    port: Number(f!.port),
    socketDir: firstDirectory(f!.socket) ?? '/tmp',
    debianCluster: debian ? `${debian[1]}/${debian[2]}` : null,
    osUser,
    archive,
    lastDump: lastDump(o.backups),
    lastDrill: drills.at(-1) ?? null,
    lastPassedDrill: drills.findLast((d) => d.ok) ?? null,
    plan: newestPlan(o.plans ?? 'plans'),
  };
}
