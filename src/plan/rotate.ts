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
import { consumerMode, COMMAND_TIMEOUT_MS } from './stage-consumers.js';
import { backupPath, fileState, sampleAddress, sha256 } from './stage-network.js';
import { idPart } from './stage-roles.js';
import { quoteIdent } from './templates.js';
import { secretToken, type Action, type Check, type Plan, type Source, type Step } from './types.js';

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

const none = {
  verify: [],
  before: [{ of: 'none' as const }],
  after: [{ of: 'none' as const }],
  transactional: false,
  restartRequired: false,
};
const gateStep = (id: string, stage: Step['stage'], description: string, forward: Action): Step => ({
  id,
  stage,
  kind: 'gate',
  description,
  forward,
  undo: null,
  ...none,
});

/** Where a login check leaves from: the consumer's address, else the first trusted range. */
function source(spec: Spec, role: string): Source {
  const c = spec.consumers.find((x) => x.role === role && x.clientAddress);
  if (c?.clientAddress) return { address: c.clientAddress };
  const range = spec.network.trustedRanges[0]!;
  return { address: sampleAddress(range), range };
}

function loginStep(r: Rotation, spec: Spec): Step {
  const role = spec.roles.find((x) => x.name === r.role)!;
  const to = quoteIdent(r.to);
  const password = `PASSWORD '${secretToken(r.to)}'`;
  const attributes = 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';
  const statements = r.toExists
    ? [
        `ALTER ROLE ${to} LOGIN ${attributes} ${password}`,
        ...(r.to !== r.role ? [`GRANT ${quoteIdent(r.role)} TO ${to}`] : []),
      ]
    : [`CREATE ROLE ${to} LOGIN ${attributes} IN ROLE ${quoteIdent(r.role)} ${password}`];
  return {
    id: `roles/rotate-${idPart(r.to)}`,
    stage: 'roles',
    kind: 'sql',
    description: `${r.toExists ? 'Give' : 'Create'} login ${r.to}${r.to === r.role ? '' : ` (member of ${r.role}: its privileges, none of its own)`} a new SCRAM-SHA-256 verifier computed by pgharden; ${r.from} keeps working meanwhile`,
    forward: { do: 'sql', database: 'postgres', statements },
    verify: [{ check: 'login', role: r.to, database: role.databases[0]!, from: source(spec, r.role), expect: 'ok' }],
    undo: {
      do: 'sql',
      database: 'postgres',
      statements: r.toExists ? [`ALTER ROLE ${to} NOLOGIN PASSWORD NULL`] : [`DROP ROLE IF EXISTS ${to}`],
    },
    before: r.toExists ? [{ of: 'none' }] : [{ of: 'role', name: r.to, exists: false }],
    after: r.toExists ? [{ of: 'none' }] : [{ of: 'role', name: r.to, exists: true }],
    transactional: true,
    restartRequired: false,
  };
}

function consumerSteps(input: RotationInput, c: RotatedConsumer, r: Rotation, files: FileBinding[]): Step[] {
  const spec = input.spec.consumers.find((x) => x.name === c.name)!;
  const steps: Step[] = [
    {
      id: `consumers/${c.name}/rewrite`,
      stage: 'consumers',
      kind: 'file',
      description: `Rewrite ${c.key ?? 'the connection string'} in ${c.path}: user ${r.from} → ${r.to}, with the new password; everything else in the file is kept`,
      forward: {
        do: 'rewrite-consumer',
        path: c.path,
        format: c.format,
        ...(c.key ? { key: c.key } : {}),
        role: r.to,
        oldUser: r.from,
      },
      verify: [{ check: 'consumer-dsn', consumer: c.name, path: c.path, expect: 'ok' }],
      undo: {
        do: 'restore-file',
        path: c.path,
        backup: backupPath(files, c.path),
        ...(c.binding.link ? { link: c.binding.link } : {}),
      },
      before: [fileState(c.binding)],
      after: [
        {
          ...fileState(c.binding),
          sha256: sha256(c.rewritten),
          mode: consumerMode(c.binding.mode, c.format),
        } as ReturnType<typeof fileState>,
      ],
      transactional: false,
      restartRequired: false,
    },
  ];
  if (spec.reload)
    steps.push({
      id: `consumers/${c.name}/reload`,
      stage: 'consumers',
      kind: 'command',
      description: `Tell ${c.name} to re-read its configuration: ${spec.reload.join(' ')}`,
      forward: { do: 'command', argv: spec.reload, timeoutMs: COMMAND_TIMEOUT_MS },
      undo: { do: 'command', argv: spec.reload, timeoutMs: COMMAND_TIMEOUT_MS },
      ...none,
    });
  if (spec.healthCheck)
    steps.push({
      id: `consumers/${c.name}/health`,
      stage: 'consumers',
      kind: 'command',
      description: `Check ${c.name} is healthy on ${r.to}: ${spec.healthCheck.join(' ')}`,
      forward: { do: 'command', argv: spec.healthCheck, timeoutMs: COMMAND_TIMEOUT_MS },
      undo: null,
      ...none,
    });
  steps.push(
    gateStep(
      `consumers/${c.name}/drain`,
      'consumers',
      `Wait until no session of ${c.name} is left as ${r.from}${spec.application ? ` (application_name ${spec.application})` : ''} (up to ${spec.drainTimeout} s; then stop with the list of stragglers)`,
      {
        do: 'gate',
        until: {
          gate: 'no-old-sessions',
          user: r.from,
          ...(spec.application ? { application: spec.application } : {}),
          ...(spec.clientAddress ? { clientAddress: spec.clientAddress } : {}),
        },
        timeoutMs: spec.drainTimeout * 1000,
      },
    ),
  );
  return steps;
}

function retireSteps(input: RotationInput, r: Rotation): Step[] {
  const drain = Math.max(60, ...input.spec.consumers.filter((c) => c.role === r.role).map((c) => c.drainTimeout));
  const from = quoteIdent(r.from);
  return [
    gateStep(
      `flip/drained-${idPart(r.from)}`,
      'flip',
      `Wait until no session at all is left as ${r.from} (up to ${drain} s): a client the spec does not name would lose its login`,
      { do: 'gate', until: { gate: 'no-old-sessions', user: r.from }, timeoutMs: drain * 1000 },
    ),
    {
      id: `flip/retire-${idPart(r.from)}`,
      stage: 'flip',
      kind: 'sql',
      description: `Take the old password away: ${r.from} NOLOGIN PASSWORD NULL (its privileges stay with ${r.role})`,
      forward: { do: 'sql', database: 'postgres', statements: [`ALTER ROLE ${from} NOLOGIN PASSWORD NULL`] },
      undo: {
        do: 'sql',
        database: 'postgres',
        statements: [`ALTER ROLE ${from} LOGIN${r.oldVerifierKnown ? ` PASSWORD '${secretToken(r.from)}'` : ''}`],
      },
      ...none,
      transactional: true,
    },
  ];
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
      ...none,
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
