/**
 * The `pitr enable` plan, a pure function of what was observed: pgBackRest's configuration file
 * for this cluster, its repository, `archive_mode`/`archive_command` (and `wal_level` when it is
 * `minimal`) by ALTER SYSTEM, then, once the server runs with them (a restart step of its own
 * with `--restart`, else a stop that says what to run), `stanza-create`, `pgbackrest check` and
 * a WAL switch whose segment must reach the repository. Rollback puts postgresql.auto.conf back,
 * removes the configuration file, and restarts the server when the plan did.
 */
import type { FileBinding } from '../plan/binding.js';
import { planId, shellRollback } from '../plan/planner.js';
import { backupPath, fileState, sha256 } from '../plan/stage-network.js';
import type { Action, Plan, PitrSetup, State, Step } from '../plan/types.js';
import { archiveCommand } from './archive-command.js';

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
  setup: PitrSetup;
  logPath?: string;
}

/** The pgBackRest configuration for one stanza: every option in the stanza's own section, so it merges with no other file's [global]. */
export function pgbackrestConf(i: EnableInput): string {
  const s = i.setup;
  return [
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
    '',
  ].join('\n');
}

const step = (
  s: Omit<Step, 'verify' | 'undo' | 'before' | 'after' | 'transactional' | 'restartRequired'> & Partial<Step>,
): Step => ({
  verify: [],
  undo: null,
  before: [{ of: 'none' }],
  after: [{ of: 'none' }],
  transactional: false,
  restartRequired: false,
  ...s,
});

/** The settings ALTER SYSTEM writes: archive_mode unless already archiving, wal_level only when minimal. */
function settingsOf(i: EnableInput): Record<string, string> {
  return {
    ...(i.running.archiveMode === 'off' ? { archive_mode: 'on' } : {}),
    archive_command: archiveCommand(i.setup),
    ...(i.running.walLevel === 'minimal' ? { wal_level: 'replica' } : {}),
  };
}

function configureSteps(i: EnableInput, files: FileBinding[]): Step[] {
  const s = i.setup;
  const conf = pgbackrestConf(i);
  const owner = i.asRoot
    ? { mode: 0o640, uid: 0, gid: i.serverUser.gid }
    : { mode: 0o600, uid: i.serverUser.uid, gid: i.serverUser.gid };
  const settings = settingsOf(i);
  const autoUndo: Action =
    i.autoConf.sha256 !== null
      ? { do: 'restore-file', path: i.autoConf.path, backup: backupPath(files, i.autoConf.path) }
      : { do: 'sql', database: 'postgres', statements: Object.keys(settings).map((k) => `ALTER SYSTEM RESET ${k}`) };
  const restart = Object.keys(settings).filter((k) => k !== 'archive_command');
  return [
    step({
      id: 'pgbackrest/repository',
      stage: 'pgbackrest',
      kind: 'file',
      description: `Create the repository ${s.repo}, owned by ${i.serverUser.name} with mode 0750 (archive-push runs as the server's OS user). Rollback keeps it: it holds the archived WAL and the backups`,
      forward: { do: 'mkdir', path: s.repo, mode: 0o750, uid: i.serverUser.uid, gid: i.serverUser.gid },
    }),
    step({
      id: 'pgbackrest/config',
      stage: 'pgbackrest',
      kind: 'file',
      description: `Write ${s.configFile} (stanza ${s.stanza}), mode ${owner.mode.toString(8).padStart(4, '0')} ${i.asRoot ? `root:${i.serverUser.name}` : i.serverUser.name}: the server's OS user reads it and cannot change where its WAL goes`,
      forward: { do: 'write-file', path: s.configFile, content: conf, ...owner },
      undo:
        i.configBinding.sha256 === null
          ? { do: 'remove-file', path: s.configFile }
          : { do: 'restore-file', path: s.configFile, backup: backupPath(files, s.configFile) },
      before: [fileState(i.configBinding)],
      after: [{ of: 'file', path: s.configFile, sha256: sha256(conf), ...owner }],
    }),
    step({
      id: 'archiving/settings',
      stage: 'archiving',
      kind: 'sql',
      description: `Write ${Object.keys(settings).join(', ')} with ALTER SYSTEM (postgresql.auto.conf)${restart.length ? `. RESTART REQUIRED for ${restart.join(', ')}` : ''}`,
      forward: {
        do: 'sql',
        database: 'postgres',
        statements: Object.entries(settings).map(([k, v]) => `ALTER SYSTEM SET ${k} = '${v}'`),
      },
      undo: autoUndo,
      before: Object.keys(settings).map(
        (k): State => ({ of: 'auto-setting', name: k, value: i.autoConf.settings[k] ?? null }),
      ),
      after: Object.entries(settings).map(([k, v]): State => ({ of: 'auto-setting', name: k, value: v })),
      restartRequired: restart.length > 0,
    }),
    step({
      id: 'archiving/reload',
      stage: 'archiving',
      kind: 'reload',
      description: 'Reload: archive_command takes effect now',
      forward: { do: 'reload' },
      undo: { do: 'reload' },
    }),
  ];
}

function restartSteps(i: EnableInput): Step[] {
  const wanted = Object.entries(settingsOf(i)).filter(([k]) => k !== 'archive_command');
  if (!wanted.length) return [];
  if (i.setup.restarts)
    return [
      step({
        id: 'restart/server',
        stage: 'restart',
        kind: 'command',
        description: `RESTART the server (${i.setup.restartCommand}) so that ${wanted.map(([k]) => k).join(' and ')} take effect: every session is ended; pgharden opens its admin path again. Rollback restarts it again`,
        forward: { do: 'restart' },
        undo: { do: 'restart' },
        verify: wanted.map(([name, value]) => ({ check: 'setting' as const, name, value })),
      }),
    ];
  return wanted.map(([name, value]) =>
    step({
      id: `restart/wait-${name.replaceAll('_', '-')}`,
      stage: 'restart',
      kind: 'gate',
      description: `Stop here until the server runs with ${name} = ${value}: restart it yourself (${i.setup.restartCommand}), then run pgharden apply ${i.planDir} again to continue`,
      forward: { do: 'gate', until: { gate: 'setting', name, value, advice: i.setup.restartCommand }, timeoutMs: 0 },
    }),
  );
}

function proveSteps(i: EnableInput): Step[] {
  const s = i.setup;
  const as = { uid: i.serverUser.uid, gid: i.serverUser.gid };
  const pgbackrest = (cmd: string): Action => ({
    do: 'command',
    argv: ['pgbackrest', `--config=${s.configFile}`, `--stanza=${s.stanza}`, cmd],
    timeoutMs: 300_000,
    ...as,
  });
  return [
    step({
      id: 'prove/stanza-create',
      stage: 'prove',
      kind: 'command',
      description: `pgbackrest stanza-create, as ${i.serverUser.name}. Rollback keeps the stanza in the repository`,
      forward: pgbackrest('stanza-create'),
    }),
    step({
      id: 'prove/check',
      stage: 'prove',
      kind: 'command',
      description: 'pgbackrest check: the configuration, the repository and archive-push work together',
      forward: pgbackrest('check'),
    }),
    step({
      id: 'prove/wal-switch',
      stage: 'prove',
      kind: 'probe',
      description: 'Prove archiving: a write, pg_switch_wal(), and the closed segment found in the repository',
      forward: { do: 'probe', checks: [{ check: 'wal-archived', repo: s.repo, stanza: s.stanza, timeoutMs: 60_000 }] },
    }),
  ];
}

/** The plan; its files are pgBackRest's configuration and postgresql.auto.conf. */
export function buildEnablePlan(i: EnableInput, secretsSha256: string): Plan {
  const files = [i.configBinding, i.autoConf].map(({ path, sha256, mode, uid, gid, link }) => ({
    path,
    sha256,
    mode,
    uid,
    gid,
    ...(link ? { link } : {}),
  }));
  const steps: Step[] = [
    step({
      id: 'preflight/lock',
      stage: 'preflight',
      kind: 'gate',
      description: 'Take the plan lock (one writer) and the server advisory lock',
      forward: { do: 'gate', until: { gate: 'lock' }, timeoutMs: 0 },
    }),
    step({
      id: 'preflight/backup',
      stage: 'preflight',
      kind: 'file',
      description: `Copy ${files
        .filter((f) => f.sha256 !== null)
        .map((f) => f.path)
        .join(' and ')} into ${i.planDir}/backup with mode and owner`,
      forward: {
        do: 'backup',
        files: files.filter((f) => f.sha256 !== null).map((f) => ({ path: f.path, backup: backupPath(files, f.path) })),
      },
    }),
    step({
      id: 'preflight/admin-path',
      stage: 'preflight',
      kind: 'gate',
      description: `Open the admin path: ${i.serverUser.name} over the local socket`,
      forward: { do: 'gate', until: { gate: 'admin-path', user: i.serverUser.name }, timeoutMs: 10_000 },
    }),
    ...configureSteps(i, files),
    ...restartSteps(i),
    ...proveSteps(i),
  ];
  const restartNote = i.setup.restarts
    ? 'Rollback puts postgresql.auto.conf back, removes the pgBackRest configuration and restarts the server, so archiving is off again.'
    : `Rollback puts postgresql.auto.conf back and removes the pgBackRest configuration; archive_mode returns to off at the next restart (${i.setup.restartCommand}).`;
  const body: Omit<Plan, 'id'> = {
    schemaVersion: 1,
    name: i.name,
    createdAt: i.createdAt,
    pgharden: i.version,
    target: i.target,
    server: {
      major: i.server.major,
      version: i.server.version,
      hbaFile: i.server.hbaFile,
      configFile: i.server.configFile,
      autoConfFile: i.autoConf.path,
      dataDirectory: i.server.dataDirectory,
      adminRole: i.server.adminRole,
      socketDir: i.server.socketDir,
    },
    binding: {
      systemIdentifier: i.server.systemIdentifier,
      dataDirectory: i.server.dataDirectory,
      port: i.server.port,
      files,
    },
    secretsSha256,
    trustedRanges: [],
    roles: [],
    consumers: [],
    unmapped: [],
    notices: [
      restartNote,
      `The repository ${i.setup.repo} is never removed by pgharden: it holds the archived WAL and the backups.`,
    ],
    backup: { skipped: false, databases: [] },
    matrix: {
      before: { database: 'postgres', sources: [], roles: [], cells: {} },
      after: { database: 'postgres', sources: [], roles: [], cells: {} },
    },
    steps,
    rollback: { command: `pgharden rollback ${i.planDir}`, shell: shellRollback(files) },
    purpose: 'pitr',
    pitr: i.setup,
  };
  return { ...body, id: planId(body) } as Plan;
}
