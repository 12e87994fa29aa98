/**
 * Stage 0, preflight: the plan lock, a copy of every file the plan touches, the verified backup
 * (dumps restored into scratch databases and compared), and the admin lifeline.
 */
import { join } from 'node:path';
import type { PlanInput } from './input.js';
import { backupFor, fileState, touchedFiles } from './stage-network.js';
import type { Step } from './plan-types.js';

/** The databases the plan touches that exist: what the verified backup dumps. */
export function databasesToBackUp(input: PlanInput): string[] {
  const s = input.snapshot;
  return [
    ...new Set([
      ...input.spec.roles.flatMap((r) => r.databases),
      ...input.consumers.flatMap((c) => (c.database ? [c.database] : [])),
    ]),
  ]
    .filter((d) => s.databases.includes(d))
    .sort();
}

/** The preflight steps, in order. */
export function preflightSteps(input: PlanInput, backupDatabases: string[]): Step[] {
  return [
    {
      id: 'preflight/lock',
      stage: 'preflight',
      kind: 'gate',
      description:
        'Take the plan lock (one writer) and the cluster lock (one apply per cluster, whatever the plan: a lock file named by its system_identifier, and a server advisory lock)',
      forward: { do: 'gate', until: { gate: 'lock' }, timeoutMs: 0 },
      verify: [],
      undo: null,
      before: [{ of: 'none' }],
      after: [{ of: 'none' }],
      transactional: false,
      restartRequired: false,
    },
    {
      id: 'preflight/backup',
      stage: 'preflight',
      kind: 'file',
      description: `Copy every file the plan touches into ${join(input.planDir, 'backup')} with its mode and owner (${touchedFiles(input).length} files)`,
      forward: {
        do: 'backup',
        files: touchedFiles(input)
          .filter((f) => f.sha256 !== null)
          .map((f) => ({ path: f.path, backup: backupFor(input, f.path) })),
      },
      verify: [],
      undo: null,
      before: touchedFiles(input).map(fileState),
      after: touchedFiles(input)
        .filter((f) => f.sha256 !== null)
        .map(
          (f) => ({ ...fileState(f), path: join(input.planDir, backupFor(input, f.path)) }) as Step['after'][number],
        ),
      transactional: false,
      restartRequired: false,
    },
    ...(input.skipBackup
      ? []
      : [
          {
            id: 'preflight/verified-backup',
            stage: 'preflight' as const,
            kind: 'file' as const,
            description: `Dump the roles (pg_dumpall --globals-only) and ${backupDatabases.join(', ')} (pg_dump -Fc) into ${join(input.planDir, 'backup', 'dumps')}, restore each dump into a scratch database and compare every table's exact row count with the live data as of the dump's snapshot; any difference stops apply before any change`,
            forward: { do: 'verified-backup' as const, databases: backupDatabases, dir: 'backup/dumps' },
            verify: [],
            undo: null,
            before: [{ of: 'none' as const }],
            after: [{ of: 'none' as const }],
            transactional: false,
            restartRequired: false,
          },
        ]),
    {
      id: 'preflight/admin-path',
      stage: 'preflight',
      kind: 'gate',
      description: `Open the admin lifeline: ${input.serverUser.name} over the local socket; it stays open across every reload`,
      forward: { do: 'gate', until: { gate: 'admin-path', user: input.serverUser.name }, timeoutMs: 10_000 },
      verify: [],
      undo: null,
      before: [{ of: 'none' }],
      after: [{ of: 'none' }],
      transactional: false,
      restartRequired: false,
    },
  ];
}
