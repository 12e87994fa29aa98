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
}

/** The pgBackRest configuration for one stanza: every option in the stanza's own section, so it merges with no other file's [global]. */
export function pgbackrestConf(i: EnableInput): string {
  const s = i.setup;
  const lines = [
    `# pgBackRest for PostgreSQL ${i.server.major} at ${i.server.dataDirectory}, written by pgharden pitr enable (plan ${i.planDir}).`,
    `# The server's archive_command names this file; pgharden rollback ${i.planDir} removes it.`,
    `[${s.stanza}]`,
    `repo1-path=${s.repo}`,
    `repo1-retention-full=${s.retentionFull}`,
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
