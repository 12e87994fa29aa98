/**
 * The `pitr enable` plan, a pure function of what was observed: pgBackRest's configuration file
 * for this cluster, its repository, `archive_mode`/`archive_command` (and `wal_level` when it is
 * `minimal`) by ALTER SYSTEM, then, once the server runs with them (a restart step of its own
 * with `--restart`, else a stop that says what to run), `stanza-create`, `pgbackrest check` and
 * a WAL switch whose segment must reach the repository. Rollback puts postgresql.auto.conf back,
 * removes the configuration file, and restarts the server when the plan did.
 */
import { planId, shellRollback } from '../plan/planner.js';
import { backupPath, bindingOnly } from '../plan/stage-network.js';
import type { Plan, Step } from '../plan/plan-types.js';
import type { EnableInput } from './enable-input.js';
import { localRepo } from './enable-input.js';
import { s3Url } from './enable-repo.js';
import { configureSteps, proveSteps, restartSteps, step } from './enable-steps.js';

export { type EnableInput, pgbackrestConf } from './enable-input.js';

/** The plan; its files are pgBackRest's configuration and postgresql.auto.conf. */
export function buildEnablePlan(i: EnableInput, secretsSha256: string): Plan {
  const files = [i.configBinding, i.autoConf].map(bindingOnly);
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
      i.setup.s3
        ? `The repository is off this host: repo1 is ${s3Url(i.setup.s3)} at ${i.setup.s3.endpoint}:${i.setup.s3.port}, encrypted (aes-256-cbc, a generated passphrase in ${i.setup.s3.secretsFile}, 0600; keep a copy of it elsewhere: without it no backup can be read)${localRepo(i.setup) ? `; repo2 ${localRepo(i.setup)} is a fast copy on this host` : ''}. Rollback removes the configuration and the secrets file; it never deletes an object in the bucket, which pgharden did not create.`
        : `The repository ${i.setup.repo} is a directory on this host: a lost disk or host takes the backups and the archived WAL with the server (the audit reports backup-same-host, high, until a repository off this host is added).`,
      !localRepo(i.setup)
        ? `Rollback marks the runbook no longer valid, removes this cluster's pgharden_pitr_* and pgharden_drill_* samples from the metrics files, and removes the drill history (pgharden rollback --keep-drill-history keeps it).`
        : i.setup.repoCreated
          ? `Rollback removes the repository ${i.setup.repo} only while it holds no backup; once a backup is in it, it is kept. It also marks the runbook no longer valid, removes this cluster's pgharden_pitr_* and pgharden_drill_* samples from the metrics files pitr backup and pitr drill wrote, and removes the drill history (pgharden rollback --keep-drill-history keeps it).`
          : `The repository ${i.setup.repo} existed before this plan: pgharden never removes it. Rollback marks the runbook no longer valid, removes this cluster's pgharden_pitr_* and pgharden_drill_* samples from the metrics files, and removes the drill history (pgharden rollback --keep-drill-history keeps it).`,
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
