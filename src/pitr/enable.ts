/**
 * `pgharden pitr enable`'s core: reads the live server (read-only), names the stanza, refuses an
 * archive_command that is not pgharden's, and saves the plan directory (plan.json signed, secrets
 * holding only the plan key, rollback.sh). `review`, `apply`, `status` and `rollback` take it
 * from there like any plan.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { firstDirectory } from '../conf/guc-list.js';
import { connect, recordTarget, type ConnectOptions } from '../connect/connect.js';
import { InputError, RefusedError } from '../core/errors.js';
import { restartAdvice } from '../execute/restart.js';
import { observeFile } from '../plan/binding.js';
import { autoConfSettings } from '../plan/make.js';
import { newPlanKey, newSecrets, secretsText, sha256Text } from '../plan/secrets.js';
import { writePlanDir } from '../plan/plan-dir.js';
import type { Plan } from '../plan/plan-types.js';
import { adoptArchiveCommand, archiveCommand } from './archive-command.js';
import { buildEnablePlan, type EnableInput } from './enable-plan.js';
import { pathProblems, refuseInput, stanzaProblems } from './enable-paths.js';
import { placementProblems, refusePlacement, serverFiles } from './enable-places.js';
import { type RepoFlags, repoChoice, S3_NEXT, s3Url } from './enable-repo.js';
import { repoSecretsText, secretsPathFor, secretsProblems, writeRepoSecrets } from './enable-secrets.js';
import { serverOsUser } from './pgbackrest.js';
import { requirePgBackRestFor } from './version-gate.js';

/** `dir` and its parents that do not exist, outermost first. */
function missingDirs(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; !existsSync(d) && d !== dirname(d); d = dirname(d)) out.unshift(d);
  return out;
}

export interface EnableOptions {
  connection: ConnectOptions;
  /** The repositories (`--repo`, once or twice): a local directory and/or s3://BUCKET/PATH. */
  repos: string[];
  /** The object store's flags (`--s3-endpoint` …); its keys come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY. */
  s3?: Omit<RepoFlags, 'repos'>;
  /** Full backups pgBackRest keeps (repo1-retention-full); default 2. */
  retentionFull?: number;
  /** Differential backups kept (repoN-retention-diff); pgBackRest's default when absent. */
  retentionDiff?: number;
  /** Backups whose WAL is kept (repoN-retention-archive); pgBackRest's default when absent. */
  retentionArchive?: number;
  /** The plan restarts the server itself; otherwise it stops and says what to run. */
  restart?: boolean;
  /** Default: Debian's VERSION-NAME, else pg<major>-<port>. */
  stanza?: string;
  /** Default /etc/pgbackrest/conf.d/STANZA.conf. */
  configFile?: string;
  /** The RPO target in seconds: sets archive_timeout. */
  rpoSeconds?: number;
  /** pgBackRest's log-path (default: pgBackRest's own, /var/log/pgbackrest). */
  logPath?: string;
  out: string;
  version: string;
  now: Date;
}

/** The stanza of a cluster: Debian's `15/main` is `15-main`; any other is `pg15-5432` (major and port). */
export function stanzaFor(configFile: string, major: number, port: number): string {
  const debian = /^\/etc\/postgresql\/([^/]+)\/([^/]+)\/postgresql\.conf$/.exec(configFile);
  return debian ? `${debian[1]}-${debian[2]}` : `pg${major}-${port}`;
}

interface ServerFacts {
  num: string;
  version: string;
  data_directory: string;
  config_file: string;
  hba_file: string;
  port: string;
  sockets: string;
  sysid: string;
  archive_mode: string;
  archive_command: string;
  wal_level: string;
}

const FACTS = `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version,
  current_setting('data_directory') AS data_directory, current_setting('config_file') AS config_file,
  current_setting('hba_file') AS hba_file, current_setting('port') AS port,
  current_setting('unix_socket_directories') AS sockets,
  (SELECT system_identifier::text FROM pg_control_system()) AS sysid,
  current_setting('archive_mode') AS archive_mode, current_setting('wal_level') AS wal_level,
  -- Before 16, SHOW says "(disabled)" for archive_command while archive_mode is off: the files say what is set.
  COALESCE((SELECT setting FROM pg_file_settings WHERE name = 'archive_command' AND applied ORDER BY seqno DESC LIMIT 1),
    current_setting('archive_command')) AS archive_command`;

/** An archive_command that is set and is not this set-up's: pgharden does not replace someone's archiving. */
function refuseForeign(current: string, wanted: string): void {
  if (current === '' || current === '(disabled)' || current === wanted) return;
  const theirs = adoptArchiveCommand(current);
  if (theirs?.adopted)
    throw new RefusedError(
      `archive_command already archives with pgBackRest (stanza ${theirs.stanza}, configuration ${theirs.configFile}), set up outside pgharden: pitr enable will not overwrite it. Nothing was written`,
      'use it as it is: pgharden pitr backup, pgharden pitr drill --latest and pgharden runbook read that stanza and configuration and change neither',
    );
  throw new RefusedError(
    theirs
      ? `archive_command already sends WAL to pgBackRest stanza ${theirs.stanza} with ${theirs.configFile}, not to what this plan would set up (${wanted}). Nothing was written`
      : `archive_command is already set to '${current}', which pgharden did not write; it will not replace another WAL archiving set-up. Nothing was written`,
    theirs
      ? `run pitr enable with --stanza ${theirs.stanza} --config ${theirs.configFile} to keep that set-up, or roll back the plan that made it`
      : 'Option 1: keep your archiving (pgharden pitr works only with pgBackRest). Option 2: remove it (ALTER SYSTEM RESET archive_command, or edit postgresql.conf, then reload) and run pgharden pitr enable again',
  );
}

/** Makes and saves the plan; returns it with its directory. */
export async function makeEnablePlan(o: EnableOptions): Promise<{ plan: Plan; dir: string }> {
  const dir = resolve(o.out);
  const { choice: repos, problems: repoProblems } = repoChoice({ repos: o.repos, ...o.s3 });
  // Every path option the same way, and the stanza (a file name), before connecting.
  refuseInput(
    [
      ...repoProblems,
      ...(o.configFile === undefined ? [] : pathProblems('--config', o.configFile)),
      ...(o.logPath === undefined ? [] : pathProblems('--log-path', o.logPath)),
      ...(o.stanza === undefined ? [] : stanzaProblems(o.stanza)),
    ],
    'pitr enable',
    repoProblems.some((p) => /s3|AWS_/.test(p)) ? S3_NEXT : undefined,
  );
  const repo = repos.local ?? s3Url(repos.s3!);
  const retentionFull = o.retentionFull ?? 2;
  for (const [flag, n] of [
    ['--retention-full', retentionFull],
    ['--retention-diff', o.retentionDiff],
    ['--retention-archive', o.retentionArchive],
  ] as const)
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 9999999))
      throw new InputError(`${flag} ${n} is not a whole number from 1`, `e.g. ${flag} 2`);
  if (o.rpoSeconds !== undefined && (!Number.isInteger(o.rpoSeconds) || o.rpoSeconds < 1 || o.rpoSeconds > 1073741823))
    throw new InputError(
      `--rpo ${o.rpoSeconds} is not a whole number of seconds from 1`,
      'e.g. --rpo 300 (archive_timeout = 300 s)',
    );
  const client = await connect(o.connection);
  let f: ServerFacts;
  let files: string[];
  try {
    f = (await client.query<ServerFacts>(FACTS)).rows[0]!;
    files = await serverFiles(client, Math.floor(Number(f.num) / 10000));
  } finally {
    await client.end().catch(() => undefined);
  }
  const major = Math.floor(Number(f.num) / 10000);
  await requirePgBackRestFor(major, 'pitr enable');
  const stanza = o.stanza ?? stanzaFor(f.config_file, major, Number(f.port));
  refuseInput(o.stanza === undefined ? stanzaProblems(stanza) : []);
  const configFile = o.configFile ?? `/etc/pgbackrest/conf.d/${stanza}.conf`;
  let wanted: string;
  try {
    wanted = archiveCommand({ stanza, configFile });
  } catch (err) {
    throw new InputError(
      (err as Error).message,
      'choose a stanza (--stanza) and a configuration path (--config) of letters, digits and ._-/@+',
    );
  }
  refuseForeign(f.archive_command, wanted);
  const user = serverOsUser(f.data_directory);
  const places = { dataDirectory: f.data_directory, configFile: f.config_file, files, user };
  refusePlacement([
    ...placementProblems({ repo: repos.local ?? null, configFile, logPath: o.logPath }, places),
    ...(repos.s3 ? secretsProblems(secretsPathFor(configFile)) : []),
  ]);
  const autoPath = join(f.data_directory, 'postgresql.auto.conf');
  const socketDir = firstDirectory(f.sockets) ?? null;
  const input: EnableInput = {
    name: dir.split('/').at(-1)!,
    planDir: dir,
    createdAt: o.now.toISOString(),
    version: o.version,
    target: recordTarget(o.connection),
    server: {
      major,
      version: f.version,
      hbaFile: f.hba_file,
      configFile: f.config_file,
      autoConfFile: autoPath,
      dataDirectory: f.data_directory,
      adminRole: user.name,
      socketDir,
      port: Number(f.port),
      systemIdentifier: f.sysid,
    },
    serverUser: user,
    asRoot: process.geteuid?.() === 0,
    running: { archiveMode: f.archive_mode, walLevel: f.wal_level },
    autoConf: { ...observeFile(autoPath), settings: autoConfSettings(autoPath) },
    configBinding: observeFile(configFile),
    missingConfigDirs: missingDirs(dirname(configFile)),
    setup: {
      stanza,
      configFile,
      repo,
      ...(repos.local && !existsSync(repos.local) ? { repoCreated: true } : {}),
      ...(repos.s3 ? { s3: { ...repos.s3, secretsFile: secretsPathFor(configFile) } } : {}),
      retentionFull,
      ...(o.retentionDiff !== undefined ? { retentionDiff: o.retentionDiff } : {}),
      ...(o.retentionArchive !== undefined ? { retentionArchive: o.retentionArchive } : {}),
      restartCommand: restartAdvice(f.data_directory),
      restarts: o.restart === true,
      ...(o.rpoSeconds !== undefined ? { rpoSeconds: o.rpoSeconds } : {}),
    },
    ...(o.logPath ? { logPath: o.logPath } : {}),
  };
  // The object store's keys and passphrase: beside the configuration, never in the plan directory.
  if (repos.s3) input.secretsText = repoSecretsText(input.setup.s3!.secretsFile, stanza, repos.keys!);
  const planKey = newPlanKey();
  const text = secretsText(newSecrets([]), planKey);
  const plan = buildEnablePlan(input, sha256Text(text));
  if (input.secretsText) writeRepoSecrets(input.setup.s3!.secretsFile, input.secretsText);
  writePlanDir(dir, plan, planKey, text);
  return { plan, dir };
}
