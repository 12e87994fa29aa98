/**
 * The planner: a pure function from what was observed (snapshot, files, templates, spec) to
 * the ordered plan. It refuses, listing every reason at once, when the plan could not be
 * carried out safely: a rule it cannot edit would still let someone in without a password, the
 * admin path would not survive, a role or table the spec names does not exist.
 */
import { createHash } from 'node:crypto';
import type { ConnectionMatrix } from '../audit/matrix.js';
import type { Snapshot } from '../cluster/introspect.js';
import { canonicalJson } from '../core/canonical.js';
import { PlanError, type PlanInput } from './input.js';
import { inputProblems } from './input-checks.js';
import { deltaNotices, planNotices } from './notices.js';
import { matrixOf, predictedProblems, snapshotWith } from './predict.js';
import { databasesToBackUp, preflightSteps } from './stage-preflight.js';
import { canarySteps } from './stage-canary.js';
import { flipSteps } from './stage-flip.js';
import { backupPath, hbaEdits, touchedFiles } from './stage-network.js';
import type { FileBinding } from './binding.js';
import { consumerSteps } from './stage-consumers.js';
import { channelBindingSteps, hardenServerTlsSteps, withTlsRequired } from './stage-harden-tls.js';
import { roleSteps } from './stage-roles.js';
import { verifySteps } from './stage-verify.js';
import { passwordRecord } from './password-record.js';
import { rolesToCreate } from './delta.js';
import { retireSteps } from './stage-retire.js';
import type { Plan, Step, UnmappedRole } from './plan-types.js';

function unmappedRoles(s: Snapshot, input: PlanInput, after: ConnectionMatrix): UnmappedRole[] {
  const mapped = new Set(input.spec.roles.map((r) => r.name));
  return s.roles
    .filter((r) => r.login && !mapped.has(r.name))
    .map((r) => {
      const cells = Object.entries(after.cells[r.name] ?? {})
        .filter(([label]) => label !== 'local' && label !== 'anywhere')
        .map(([, m]) => m);
      let fate: string;
      if (r.superuser)
        fate = `refused over the network; local socket only${r.name === input.serverUser.name ? ' (peer, for the OS user of the same name)' : ''}`;
      else if (cells.every((m) => m === 'reject' || m === 'no entry')) fate = 'refused over the network';
      else if (r.password === 'none')
        fate =
          'cannot log in over the network any more: it has no password and scram-sha-256 asks for one; give it one (\\password) or map it in the spec';
      else if (r.password === 'md5')
        fate =
          'cannot log in over the network any more: its password is stored as md5, which scram-sha-256 cannot check; set it again (\\password) once password_encryption is scram-sha-256';
      else fate = 'keeps logging in with its password (scram-sha-256)';
      return { role: r.name, superuser: r.superuser, fate };
    });
}

const shq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The rollback fallback that needs no pgharden: check every backup's sha256, restore them, signal
 * the postmaster. The backups are named relative to rollback.sh, so it still works when the plan
 * directory is moved.
 */
export function shellRollback(files: readonly FileBinding[]): string {
  // A symlinked file: its target gets the content, then the link is put back if it was replaced.
  const restores = files.map((f) =>
    f.sha256 === null
      ? `rm -f ${shq(f.path)}`
      : f.link
        ? `cp -p ${shq(backupPath(files, f.path))} ${shq(f.link)} && ln -sfn ${shq(f.link)} ${shq(f.path)}`
        : `cp -p ${shq(backupPath(files, f.path))} ${shq(f.path)}`,
  );
  // Every copy is checked against the sha256 recorded at plan time before any is copied back
  // (verify_backup, store.ts): a copy someone changed stops the script with nothing restored.
  const checks = files.flatMap((f) =>
    f.sha256 === null ? [] : [`verify_backup ${shq(backupPath(files, f.path))} ${f.sha256}`],
  );
  // The postmaster is signalled by rollback.sh itself, once it has proven the pid (store.ts).
  return ['cd "$(dirname "$0")"', ...checks, ...restores].join(' && ');
}

/** The plan, or a PlanError listing every reason it cannot be made. */
export function buildPlan(input: PlanInput): Plan {
  const found = inputProblems(input);
  if (found.length) throw new PlanError(found);
  const s = input.snapshot;
  const superusers = s.roles.filter((r) => r.superuser && r.login).map((r) => r.name);
  const edits = hbaEdits(input, superusers);
  const newRoles = rolesToCreate(input).map((r) => r.name);
  const before = matrixOf(s);
  const after = matrixOf(snapshotWith(s, input.hba.file, edits.finalLines, newRoles));

  // What the flip must achieve, checked on the predicted result before anything is written.
  const afterSnapshot = snapshotWith(s, input.hba.file, edits.finalLines, newRoles);
  const late = predictedProblems(input, s, afterSnapshot, after);
  if (late.length) throw new PlanError(late, true);

  const hbaFile = input.hba.file;
  const backupDatabases = databasesToBackUp(input);
  const roles = roleSteps(input);
  const changes: Step[] = [
    ...roles,
    ...canarySteps(
      input,
      edits,
      roles.some((st) => st.id === 'roles/password-encryption'),
    ),
    ...hardenServerTlsSteps(input),
    ...consumerSteps(input),
    // With the spec's tls section the flip also requires TLS; the matrix is predicted for TLS clients.
    ...flipSteps(
      input,
      input.tls ? { ...edits, finalText: withTlsRequired(input, edits.finalText) } : edits,
      superusers,
    ),
    ...channelBindingSteps(input),
    ...retireSteps(input),
  ];
  // Day two: nothing differs from the spec. The caller writes no plan (and no secrets).
  const nothingToDo = !changes.some((st) => st.kind !== 'probe' && st.kind !== 'gate');
  const steps: Step[] = [
    ...preflightSteps(input, backupDatabases),
    ...changes,
    ...verifySteps(input, after, superusers),
  ];

  const notices = [
    ...planNotices(input, steps, unmappedRoles(s, input, after)),
    ...deltaNotices(input),
    ...(input.tlsNotice ? [input.tlsNotice] : []),
  ];

  const body: Omit<Plan, 'id'> = {
    schemaVersion: 1,
    name: input.name,
    createdAt: input.createdAt,
    pgharden: input.version,
    target: input.target,
    server: {
      major: s.major,
      version: s.version,
      hbaFile,
      configFile: input.configFile.path,
      autoConfFile: input.autoConf.path,
      dataDirectory: s.settings.data_directory ?? '',
      adminRole: input.serverUser.name,
      socketDir: input.socketDir,
    },
    binding: {
      systemIdentifier: s.systemIdentifier ?? '',
      dataDirectory: s.settings.data_directory ?? '',
      port: input.port,
      files: touchedFiles(input),
    },
    secretsSha256: input.secretsSha256,
    trustedRanges: input.spec.network.trustedRanges,
    roles: input.spec.roles.map((r) => ({
      name: r.name,
      template: r.template,
      databases: r.databases,
      schema: r.schema,
      readOnlyTables: r.readOnlyTables,
    })),
    consumers: input.consumers.map((c) => ({
      name: c.name,
      path: c.path,
      format: c.format,
      ...(c.key ? { key: c.key } : {}),
      role: input.spec.consumers.find((x) => x.name === c.name)!.role,
      oldUser: c.oldUser,
      database: c.database,
    })),
    unmapped: unmappedRoles(s, input, after),
    facts: { superusers },
    notices,
    passwords: passwordRecord(steps, input.spec.passwordMaxAgeDays),
    backup: { skipped: Boolean(input.skipBackup), databases: input.skipBackup ? [] : backupDatabases },
    matrix: { before, after },
    steps,
    rollback: { command: `pgharden rollback ${input.planDir}`, shell: shellRollback(touchedFiles(input)) },
    ...(input.tls ? { tls: input.tls.setup } : {}),
  };
  return { ...body, id: planId(body), ...(nothingToDo ? { nothingToDo } : {}) } as Plan;
}

/** The plan's id: sha256 of the canonical JSON of everything but the id. */
export function planId(body: Omit<Plan, 'id'> | Plan): string {
  const { id: _id, ...rest } = body as Plan;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
