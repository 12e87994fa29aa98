/**
 * The rotation plan's steps per role and per consumer (rotate.ts explains the order): the new
 * login's verifier, each consumer file moved, reloaded and drained, the old login retired.
 */
import type { Spec } from '../spec/spec.js';
import type { FileBinding } from './binding.js';
import { consumerCommandSteps, consumerMode } from './stage-consumers.js';
import { backupPath, fileState, sampleAddress, sha256 } from './stage-network.js';
import { idPart } from './stage-roles.js';
import { quoteIdent } from './templates.js';
import { secretToken, type Action, type Source, type Step } from './plan-types.js';
import type { RotatedConsumer, Rotation, RotationInput } from './rotate.js';
import { step } from './step.js';

/** A step that observes nothing: re-run on resume (gates, commands, probes). */
export const gateStep = (id: string, stage: Step['stage'], description: string, forward: Action): Step =>
  step({
    id,
    stage,
    kind: 'gate',
    description,
    forward,
  });

/** Where a login check leaves from: the consumer's address, else the first trusted range. */
export function source(spec: Spec, role: string): Source {
  const c = spec.consumers.find((x) => x.role === role && x.clientAddress);
  if (c?.clientAddress) return { address: c.clientAddress };
  const range = spec.network.trustedRanges[0]!;
  return { address: sampleAddress(range), range };
}

export function loginStep(r: Rotation, spec: Spec): Step {
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
  return step({
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
  });
}

export function consumerSteps(input: RotationInput, c: RotatedConsumer, r: Rotation, files: FileBinding[]): Step[] {
  const spec = input.spec.consumers.find((x) => x.name === c.name)!;
  const steps: Step[] = [
    step({
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
    }),
  ];
  steps.push(...consumerCommandSteps(c.name, spec, `on ${r.to}`));
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

export function retireSteps(input: RotationInput, r: Rotation): Step[] {
  const drain = Math.max(60, ...input.spec.consumers.filter((c) => c.role === r.role).map((c) => c.drainTimeout));
  const from = quoteIdent(r.from);
  return [
    gateStep(
      `flip/drained-${idPart(r.from)}`,
      'flip',
      `Wait until no session at all is left as ${r.from} (up to ${drain} s): a client the spec does not name would lose its login`,
      { do: 'gate', until: { gate: 'no-old-sessions', user: r.from }, timeoutMs: drain * 1000 },
    ),
    step({
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
      transactional: true,
    }),
  ];
}
