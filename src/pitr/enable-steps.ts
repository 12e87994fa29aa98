/**
 * The steps of the `pitr enable` plan after its preflight: pgBackRest's repository and
 * configuration file, the archive settings by ALTER SYSTEM and a reload, the restart (a step of its
 * own, or a stop that names the line to run), and the proof: stanza-create, check, a WAL switch
 * whose segment reaches the repository.
 */
import type { FileBinding } from '../plan/binding.js';
import { backupPath, fileState, sha256 } from '../plan/stage-network.js';
import type { Action, State, Step } from '../plan/plan-types.js';
import { step } from '../plan/step.js';
import { archiveCommand } from './archive-command.js';
import { type EnableInput, localRepo, pgbackrestConf } from './enable-input.js';
import { s3Url } from './enable-repo.js';

/** The option lines the runner appends from a secrets file (as execute/runners.ts reads them). */
const optionLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => `${l}\n`)
    .join('');

export { step };

/** The settings a reload applies; the others need a restart. */
const RELOADED = new Set(['archive_command', 'archive_timeout']);

/** The settings ALTER SYSTEM writes: archive_mode unless already archiving, wal_level only when minimal. */
function settingsOf(i: EnableInput): Record<string, string> {
  return {
    ...(i.running.archiveMode === 'off' ? { archive_mode: 'on' } : {}),
    archive_command: archiveCommand(i.setup),
    ...(i.setup.rpoSeconds !== undefined ? { archive_timeout: String(i.setup.rpoSeconds) } : {}),
    ...(i.running.walLevel === 'minimal' ? { wal_level: 'replica' } : {}),
  };
}

/** The local repository directory, the server OS user's. */
function repositoryStep(i: EnableInput, repo: string): Step {
  const s = i.setup;
  return step({
    id: 'pgbackrest/repository',
    stage: 'pgbackrest',
    kind: 'file',
    description: `Create the repository ${repo}, owned by ${i.serverUser.name} with mode 0750 (archive-push runs as the server's OS user). ${s.repoCreated ? 'Rollback removes it while it holds no backup (WAL without a base backup restores nothing); with a backup in it, it is kept' : 'It exists already: rollback keeps it'}`,
    forward: { do: 'mkdir', path: repo, mode: 0o750, uid: i.serverUser.uid, gid: i.serverUser.gid },
  });
}

/** Repository, configuration file, ALTER SYSTEM, reload. */
export function configureSteps(i: EnableInput, files: FileBinding[]): Step[] {
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
  const restart = Object.keys(settings).filter((k) => !RELOADED.has(k));
  const local = localRepo(s);
  const o = s.s3;
  const full = conf + (i.secretsText ? optionLines(i.secretsText) : '');
  return [
    ...(local ? [repositoryStep(i, local)] : []),
    ...i.missingConfigDirs.map((dir, n) =>
      step({
        id: `pgbackrest/config-dir-${n + 1}`,
        stage: 'pgbackrest',
        kind: 'file',
        description: `Create the directory ${dir} for pgBackRest's configuration, mode 0755${i.asRoot ? ' root:root' : ''}. Rollback removes it again when it is empty`,
        forward: {
          do: 'mkdir',
          path: dir,
          mode: 0o755,
          uid: i.asRoot ? 0 : i.serverUser.uid,
          gid: i.asRoot ? 0 : i.serverUser.gid,
        },
        undo: { do: 'remove-file', path: dir },
      }),
    ),
    ...(o
      ? [
          step({
            id: 'pgbackrest/s3-secrets',
            stage: 'pgbackrest',
            kind: 'file',
            description: `Keep ${o.secretsFile} (written by pitr enable, mode 0600 root): the repository's generated aes-256-cbc passphrase and the object store's keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, never in this plan. Keep a copy of the passphrase elsewhere. Rollback removes the file; it never deletes objects in ${s3Url(o)} (pgharden did not create the bucket)`,
            forward: { do: 'chmod', path: o.secretsFile, mode: 0o600 },
            undo: { do: 'remove-file', path: o.secretsFile },
          }),
        ]
      : []),
    step({
      id: 'pgbackrest/config',
      stage: 'pgbackrest',
      kind: 'file',
      description: `Write ${s.configFile} (stanza ${s.stanza}${o ? `; repo1 ${s3Url(o)} at ${o.endpoint}:${o.port}, encrypted aes-256-cbc, its keys and passphrase copied from ${o.secretsFile}${local ? `; repo2 ${local}` : ''}` : ''}), mode ${owner.mode.toString(8).padStart(4, '0')} ${i.asRoot ? `root:${i.serverUser.name}` : i.serverUser.name}: the server's OS user reads it and cannot change where its WAL goes`,
      forward: {
        do: 'write-file',
        path: s.configFile,
        content: conf,
        ...owner,
        ...(o ? { appendFrom: o.secretsFile } : {}),
      },
      undo:
        i.configBinding.sha256 === null
          ? { do: 'remove-file', path: s.configFile }
          : { do: 'restore-file', path: s.configFile, backup: backupPath(files, s.configFile) },
      before: [fileState(i.configBinding)],
      after: [{ of: 'file', path: s.configFile, sha256: sha256(full), ...owner }],
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
      description: `Reload: ${Object.keys(settings)
        .filter((k) => RELOADED.has(k))
        .join(' and ')} take effect now`,
      forward: { do: 'reload' },
      undo: { do: 'reload' },
    }),
  ];
}

/** The restart (with --restart), else a stop per setting that needs one; none when nothing does. */
export function restartSteps(i: EnableInput): Step[] {
  const wanted = Object.entries(settingsOf(i)).filter(([k]) => !RELOADED.has(k));
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

/** stanza-create, check, and the WAL switch proven in the repository. */
export function proveSteps(i: EnableInput): Step[] {
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
      description: `pgbackrest check: the configuration, the repository and archive-push work together${s.s3 ? ` (it switches WAL and waits until the segment is in ${s3Url(s.s3)})` : ''}`,
      forward: pgbackrest('check'),
    }),
    ...(localRepo(s) ? [walSwitch(i, localRepo(s)!)] : []),
  ];
}

/** The WAL switch proven in the local repository (pgBackRest pushes every segment to each repository). */
function walSwitch(i: EnableInput, repo: string): Step {
  return step({
    id: 'prove/wal-switch',
    stage: 'prove',
    kind: 'probe',
    description: 'Prove archiving: a write, pg_switch_wal(), and the closed segment found in the repository',
    forward: { do: 'probe', checks: [{ check: 'wal-archived', repo, stanza: i.setup.stanza, timeoutMs: 60_000 }] },
  });
}
