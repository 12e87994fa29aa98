/**
 * What `pitr enable` observed and was asked for, and the pgBackRest configuration file it writes
 * from that.
 */
import type { FileBinding } from '../plan/binding.js';
import type { Plan, PitrSetup } from '../plan/plan-types.js';

/** What `pitr enable` observed, and what it was asked for. */
export interface EnableInput {
  name: string;
  planDir: string;
  createdAt: string;
  version: string;
  target: Plan['target'];
  server: Plan['server'] & { port: number; systemIdentifier: string };
  serverUser: { name: string; uid: number; gid: number };
  /** pgharden runs as root: the configuration file is root-owned, readable by the server's group. */
  asRoot: boolean;
  /** The running server's values. */
  running: { archiveMode: string; walLevel: string };
  autoConf: FileBinding & { settings: Record<string, string> };
  /** pgBackRest's file as it is now (absent, usually). */
  configBinding: FileBinding;
  /** The directories above the file that do not exist yet, outermost first (Debian ships no /etc/pgbackrest/conf.d). */
  missingConfigDirs: string[];
  setup: PitrSetup;
  logPath?: string;
  /** The secrets file's text (object store only): in memory while planning, never in the plan. */
  secretsText?: string;
}

/** One repository's options: retention always; type, bucket, endpoint and cipher for the object store. */
function repoLines(s: PitrSetup): string[] {
  const retention = (n: number) => [
    `repo${n}-retention-full=${s.retentionFull}`,
    ...(s.retentionDiff !== undefined ? [`repo${n}-retention-diff=${s.retentionDiff}`] : []),
    ...(s.retentionArchive !== undefined ? [`repo${n}-retention-archive=${s.retentionArchive}`] : []),
  ];
  const local = localRepo(s);
  if (!s.s3) return [`repo1-path=${local}`, ...retention(1)];
  const o = s.s3;
  return [
    'repo1-type=s3',
    `repo1-path=${o.path}`,
    `repo1-s3-bucket=${o.bucket}`,
    `repo1-s3-endpoint=${o.endpoint}`,
    ...(o.port !== 443 ? [`repo1-storage-port=${o.port}`] : []),
    `repo1-s3-region=${o.region}`,
    `repo1-s3-uri-style=${o.uriStyle}`,
    ...(o.caFile ? [`repo1-storage-ca-file=${o.caFile}`] : []),
    'repo1-cipher-type=aes-256-cbc',
    ...retention(1),
    ...(local ? [`repo2-path=${local}`, ...retention(2)] : []),
    `# repo1-s3-key, repo1-s3-key-secret and repo1-cipher-pass follow, copied from ${o.secretsFile} at apply (never in the plan).`,
  ];
}

/** The local repository directory, or null when the only repository is an object store. */
export const localRepo = (s: PitrSetup): string | null => (s.repo.startsWith('s3://') ? null : s.repo);

/** The secrets file's text: the passphrase and the keys as pgBackRest options, under a header that says what they are. */
export function secretsFileText(
  stanza: string,
  pass: string,
  keys: { accessKeyId: string; secretAccessKey: string },
): string {
  return [
    `# pgBackRest repository secrets for stanza ${stanza}, written by pgharden pitr enable.`,
    '# KEEP A COPY OF repo1-cipher-pass ELSEWHERE (a password manager, off this host): without it no backup',
    "# in the repository can be read. pgharden apply copies these lines into the stanza's configuration.",
    `repo1-cipher-pass=${pass}`,
    `repo1-s3-key=${keys.accessKeyId}`,
    `repo1-s3-key-secret=${keys.secretAccessKey}`,
    '',
  ].join('\n');
}

/** The pgBackRest configuration for one stanza: every option in the stanza's own section, so it merges with no other file's [global]. */
export function pgbackrestConf(i: EnableInput): string {
  const s = i.setup;
  const lines = [
    `# pgBackRest for PostgreSQL ${i.server.major} at ${i.server.dataDirectory}, written by pgharden pitr enable (plan ${i.planDir}).`,
    `# The server's archive_command names this file; pgharden rollback ${i.planDir} removes it.`,
    `[${s.stanza}]`,
    ...repoLines(s),
    ...(i.logPath ? [`log-path=${i.logPath}`] : []),
    'start-fast=y',
    `pg1-path=${i.server.dataDirectory}`,
    `pg1-port=${i.server.port}`,
    ...(i.server.socketDir ? [`pg1-socket-path=${i.server.socketDir}`] : []),
    `pg1-user=${i.serverUser.name}`,
  ];
  // One option a line: a value with a line break in it (from the server's own settings) would add options.
  const broken = lines.find((l) => /[\r\n\0]/.test(l));
  if (broken) throw new Error(`a value for pgBackRest's configuration holds a line break: ${JSON.stringify(broken)}`);
  return `${lines.join('\n')}\n`;
}
