/**
 * The rotation plan (`plan --rotate ROLE`): a pure function from what was observed to the steps.
 *
 * Why a pair of logins (rotate-partner.ts), not one role's password changed in place: a role has
 * exactly one verifier, and a consumer reads its file when it (re)connects, not when the server
 * changes. Setting the new verifier first fails every reconnect until the consumer re-read its
 * file; rewriting the file first fails every reconnect until the verifier is set. VALID UNTIL only
 * ends a password, it cannot hold two. With two logins both work at every moment:
 *   roles      the login not in use gets LOGIN and the new verifier (created as a member of the
 *              spec role, INHERIT, on first use); a login from a trusted range proves it
 *   consumers  each file moves to it (proven by logging in with the file's DSN), the consumer's
 *              reload runs, and its sessions on the old login drain
 *   flip       once no session is left on the old login: NOLOGIN and PASSWORD NULL
 *   verify     the old password is refused by the server, the new one and every file log in
 * Rollback restores the files and gives the old login back its verifier (kept in the secrets file).
 */
import type { ConnectionMatrix } from '../audit/matrix.js';
import type { Snapshot } from '../cluster/introspect.js';
import type { Spec } from '../spec/spec.js';
import type { FileBinding } from './binding.js';
import { passwordRecord } from './password-record.js';
import { shellRollback } from './planner.js';
import { consumerSteps, gateStep, loginStep, retireSteps, source, unobserved } from './rotate-steps.js';
import { backupPath, fileState } from './stage-network.js';
import type { Check, Plan, Step } from './plan-types.js';

/** One role's rotation: from the login its consumers use now to the other one of the pair. */
export interface Rotation {
  /** The spec role (it holds the grants). */
  role: string;
  from: string;
  to: string;
  /** `to` exists already (a partner from an earlier rotation, or the spec role itself). */
  toExists: boolean;
  /** The old password is known (from a consumer file): the plan proves the server refuses it. */
  oldPasswordKnown: boolean;
  /** The old login's verifier is known (pg_authid): rollback gives it back. */
  oldVerifierKnown: boolean;
}

/** A consumer file of a rotated role, as found when planning. */
export interface RotatedConsumer {
  name: string;
  path: string;
  format: string;
  key?: string;
  role: string;
  database: string | null;
  /** The file with the new login's credentials, only to record its hash. */
  rewritten: string;
  binding: FileBinding;
}

export interface RotationInput {
  name: string;
  planDir: string;
  createdAt: string;
  version: string;
  target: Plan['target'];
  snapshot: Snapshot;
  matrix: ConnectionMatrix;
  server: Plan['server'];
  port: number;
  spec: Spec;
  rotations: Rotation[];
  consumers: RotatedConsumer[];
  secretsSha256: string;
}

/** The rotation plan. */
export function buildRotationPlan(input: RotationInput): Omit<Plan, 'id'> {
  const files = input.consumers.map((c) => c.binding);
  const lock = gateStep('preflight/lock', 'preflight', 'Take the plan lock (one writer) and the server advisory lock', {
    do: 'gate',
    until: { gate: 'lock' },
    timeoutMs: 0,
  });
  const backup: Step = {
    id: 'preflight/backup',
    stage: 'preflight',
    kind: 'file',
    description: `Copy every consumer file the plan rewrites into ${input.planDir}/backup with its mode and owner (${files.length} files)`,
    forward: {
      do: 'backup',
      files: files.filter((f) => f.sha256 !== null).map((f) => ({ path: f.path, backup: backupPath(files, f.path) })),
    },
    verify: [],
    undo: null,
    before: files.map(fileState),
    after: files.map(
      (f) => ({ ...fileState(f), path: `${input.planDir}/${backupPath(files, f.path)}` }) as Step['after'][number],
    ),
    transactional: false,
    restartRequired: false,
  };
  const admin = gateStep(
    'preflight/admin-path',
    'preflight',
    `Open the admin lifeline: ${input.server.adminRole} over the local socket`,
    { do: 'gate', until: { gate: 'admin-path', user: input.server.adminRole }, timeoutMs: 10_000 },
  );
  const checks: Check[] = input.rotations.flatMap((r) => {
    const db = input.spec.roles.find((x) => x.name === r.role)!.databases[0]!;
    const from = source(input.spec, r.role);
    return [
      { check: 'login' as const, role: r.to, database: db, from, expect: 'ok' as const },
      ...(r.oldPasswordKnown
        ? [{ check: 'login' as const, role: r.from, database: db, from, expect: 'refused' as const }]
        : []),
    ];
  });
  for (const c of input.consumers) checks.push({ check: 'consumer-dsn', consumer: c.name, path: c.path, expect: 'ok' });
  const steps: Step[] = [
    lock,
    backup,
    admin,
    ...input.rotations.map((r) => loginStep(r, input.spec)),
    ...input.consumers.flatMap((c) => consumerSteps(input, c, input.rotations.find((r) => r.role === c.role)!, files)),
    ...input.rotations.flatMap((r) => retireSteps(input, r)),
    {
      id: 'verify/rotation',
      stage: 'verify',
      kind: 'probe',
      description: `The new logins and every consumer file log in; the old passwords are refused by the server (${checks.length} checks)`,
      forward: { do: 'probe', checks },
      undo: null,
      ...unobserved,
    },
  ];
  const notices = [
    `Rotation by a pair of logins: ${input.rotations.map((r) => `${r.from} → ${r.to}`).join(', ')}. A PostgreSQL role holds one password, so the new one goes to the login not in use; the old login loses its password only after its sessions drained.`,
    ...input.rotations
      .filter((r) => !r.oldPasswordKnown)
      .map((r) => `No consumer file holds ${r.from}'s password: that the server refuses it is not probed.`),
  ];
  return {
    schemaVersion: 1,
    name: input.name,
    createdAt: input.createdAt,
    pgharden: input.version,
    target: input.target,
    server: input.server,
    binding: {
      systemIdentifier: input.snapshot.systemIdentifier ?? '',
      dataDirectory: input.server.dataDirectory,
      port: input.port,
      files,
    },
    secretsSha256: input.secretsSha256,
    trustedRanges: input.spec.network.trustedRanges,
    // The roles the plan creates (review refuses a plan whose roles exist): partners made now only.
    roles: [],
    consumers: input.consumers.map((c) => {
      const r = input.rotations.find((x) => x.role === c.role)!;
      return {
        name: c.name,
        path: c.path,
        format: c.format,
        ...(c.key ? { key: c.key } : {}),
        role: r.to,
        oldUser: r.from,
        database: c.database,
      };
    }),
    unmapped: [],
    notices,
    passwords: passwordRecord(steps, input.spec.passwordMaxAgeDays),
    backup: { skipped: false, databases: [] },
    matrix: { before: input.matrix, after: input.matrix },
    steps,
    rollback: { command: `pgharden rollback ${input.planDir}`, shell: shellRollback(files) },
    purpose: 'rotate',
  };
}
