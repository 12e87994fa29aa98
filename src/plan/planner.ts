/**
 * The planner: a pure function from what was observed (snapshot, files, templates, spec) to
 * the ordered plan. It refuses, listing every reason at once, when the plan could not be
 * carried out safely: a rule it cannot edit would still let someone in without a password, the
 * admin path would not survive, a role or table the spec names does not exist.
 */
import { matchConnection } from '../hba/match.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { connectionMatrix, type ConnectionMatrix } from '../audit/matrix.js';
import type { Snapshot } from '../cluster/introspect.js';
import type { HbaLine } from '../conf/hba-types.js';
import { canonicalJson } from '../core/canonical.js';
import { PlanError, type PlanInput } from './input.js';
import { inputProblems } from './input-checks.js';
import { backupFor, canarySteps, fileState, flipSteps, hbaEdits, touchedFiles } from './stage-network.js';
import { consumerLockouts } from './consumer-lockout.js';
import { consumerSteps } from './stage-consumers.js';
import { roleSteps } from './stage-roles.js';
import { verifySteps } from './stage-verify.js';
import type { Plan, Step, UnmappedRole } from './types.js';

/** The snapshot as it will be after the plan: the new roles exist and these rules are loaded. */
function snapshotWith(s: Snapshot, file: string, lines: HbaLine[], newRoles: string[]): Snapshot {
  const rules = lines.flatMap((l) => (l.kind === 'record' ? [{ rule: l.rule, file, line: l.line }] : []));
  const roles = [
    ...s.roles,
    ...newRoles.map((name) => ({
      name,
      superuser: false,
      login: true,
      createrole: false,
      createdb: false,
      replication: false,
      bypassrls: false,
      inherit: true,
      password: 'scram-sha-256' as const,
      memberOf: [],
      allGroups: [],
    })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    ...s,
    roles,
    hba: { file, loaded: { files: new Map([[file, { lines, encoding: 'utf8' }]]), rows: [], rules } },
  };
}

const matrixOf = (s: Snapshot, database = 'postgres'): ConnectionMatrix => {
  const m = connectionMatrix(s, database);
  // A 0.0.0.0/0 or ::/0 column would repeat "anywhere".
  const sources = m.sources.filter((x) => !x.label.endsWith('/0'));
  const cells = Object.fromEntries(
    Object.entries(m.cells).map(([r, row]) => [r, Object.fromEntries(sources.map((x) => [x.label, row[x.label]!]))]),
  );
  return { database: m.database, sources, roles: m.roles, cells };
};

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
 * The rollback fallback that needs no pgharden: restore the backups, signal the postmaster. The
 * backups are named relative to rollback.sh, so it still works when the plan directory is moved.
 */
function shellRollback(input: PlanInput): string {
  // A symlinked file: its target gets the content, then the link is put back if it was replaced.
  const restores = touchedFiles(input).map((f) =>
    f.sha256 === null
      ? `rm -f ${shq(f.path)}`
      : f.link
        ? `cp -p ${shq(backupFor(input, f.path))} ${shq(f.link)} && ln -sfn ${shq(f.link)} ${shq(f.path)}`
        : `cp -p ${shq(backupFor(input, f.path))} ${shq(f.path)}`,
  );
  // The postmaster is signalled by rollback.sh itself, once it has proven the pid (store.ts).
  return ['cd "$(dirname "$0")"', ...restores].join(' && ');
}

/** The plan, or a PlanError listing every reason it cannot be made. */
export function buildPlan(input: PlanInput): Plan {
  const found = inputProblems(input);
  if (found.length) throw new PlanError(found);
  const s = input.snapshot;
  const superusers = s.roles.filter((r) => r.superuser && r.login).map((r) => r.name);
  const edits = hbaEdits(input, superusers);
  const newRoles = input.spec.roles.map((r) => r.name);
  const before = matrixOf(s);
  const after = matrixOf(snapshotWith(s, input.hba.file, edits.finalLines, newRoles));

  // What the flip must achieve, checked on the predicted result before anything is written.
  const late: string[] = [];
  if (after.cells[input.serverUser.name]?.local !== 'peer') {
    late.push(
      `after the flip, ${input.serverUser.name} over the local socket would get "${after.cells[input.serverUser.name]?.local}", not peer: pgharden would lose its admin path; add "local all ${input.serverUser.name} peer" as the first local rule`,
    );
  }
  // Rules can differ per database: the trust check looks at every database, not only the matrix's.
  const afterSnapshot = snapshotWith(s, input.hba.file, edits.finalLines, newRoles);
  // The replication path is an admin path too: pg_basebackup, pgBackRest and Barman run as the OS user.
  const walsender = (snap: Snapshot) =>
    matchConnection(
      snap.hba.loaded?.rules ?? [],
      { source: { kind: 'local' }, database: 'replication', user: input.serverUser.name, replication: 'physical' },
      {
        serverMajor: s.major,
        memberOf: (u, g) => u === g || (snap.roles.find((r) => r.name === u)?.allGroups.includes(g) ?? false),
      },
    );
  const replicationBefore = walsender(s);
  const replication = walsender(afterSnapshot);
  const hadReplication = replicationBefore.kind === 'match' && replicationBefore.method !== 'reject';
  if (hadReplication && (replication.kind !== 'match' || replication.method !== 'peer')) {
    late.push(
      `after the flip, a replication connection of ${input.serverUser.name} over the local socket would get "${replication.kind === 'match' ? replication.method : replication.kind === 'none' ? 'no entry' : 'undecided'}", not peer: pg_basebackup and backup tools run by the server's OS user would stop working; add "local replication ${input.serverUser.name} peer" as the first local rule`,
    );
  }
  for (const db of s.databases) {
    const m = db === after.database ? after : matrixOf(afterSnapshot, db);
    for (const role of m.roles) {
      for (const src of m.sources.filter((x) => x.label !== 'local')) {
        if (m.cells[role]![src.label] === 'trust')
          late.push(
            `after the flip, ${role} from ${src.label} to database ${db} would still get trust (a rule pgharden cannot edit, e.g. one continued over several lines); edit it by hand first`,
          );
      }
    }
  }
  late.push(...consumerLockouts(input, edits.finalLines));
  if (late.length) throw new PlanError(late, true);

  const hbaFile = input.hba.file;
  const backupDatabases = [
    ...new Set([
      ...input.spec.roles.flatMap((r) => r.databases),
      ...input.consumers.flatMap((c) => (c.database ? [c.database] : [])),
    ]),
  ]
    .filter((d) => s.databases.includes(d))
    .sort();
  const steps: Step[] = [
    {
      id: 'preflight/lock',
      stage: 'preflight',
      kind: 'gate',
      description: 'Take the plan lock (one writer) and the server advisory lock',
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
    ...roleSteps(input),
    ...canarySteps(input, edits),
    ...consumerSteps(input),
    ...flipSteps(input, edits, superusers),
    ...verifySteps(input, after, superusers),
  ];

  const notices: string[] = input.skipBackup
    ? [
        'BACKUP SKIPPED (--skip-backup): no dump is taken and no restore is drilled before the change; the rollback restores files and undoes SQL, but there is no copy of the data if anything else goes wrong',
      ]
    : [];
  const listen = s.settings.listen_addresses;
  const fileListen = s.fileSettings.find((f) => f.name === 'listen_addresses' && f.applied)?.setting;
  if (input.spec.network.listenAddresses !== undefined) {
    notices.push(
      `RESTART REQUIRED: listen_addresses becomes '${input.spec.network.listenAddresses}' only when the server restarts; pgharden writes it but never restarts the server: run ${input.configFacts.restartCommand} when it suits you`,
    );
  } else if (listen === '*' || fileListen === '*') {
    notices.push(
      `listen_addresses is '*'${fileListen === '*' && listen !== '*' ? ` in ${s.settings.config_file} (the running server uses '${listen}')` : ''}: the server accepts TCP on every interface; after the flip only scram-sha-256 logins from the trusted ranges get in. To narrow it, set network.listenAddresses in the spec (restart required)`,
    );
  }
  const configStep = steps.find((st) => st.forward.do === 'chmod' && st.forward.path === input.configFile.path);
  if (configStep && input.configFacts.debianLayout && configStep.forward.do === 'chmod') {
    const secrets = input.configFacts.secretSettings;
    notices.push(
      `${input.configFile.path} becomes ${configStep.forward.mode.toString(8).padStart(4, '0')}: Debian's pg_lsclusters, pg_ctlcluster and psql --cluster read it to find the cluster's port and data directory, so run by OS users other than root and ${input.serverUser.name} they will fail ("Invalid data directory for cluster"). ${secrets.length ? `It holds a password (${secrets.join('; ')}), so keep it closed.` : 'It holds no password (primary_conninfo, archive_command and the other command settings checked), so configFileMode: keep in the spec is safe if other users need those tools.'}`,
    );
  }
  for (const u of unmappedRoles(s, input, after))
    if (!u.fate.startsWith('keeps') && !u.superuser) notices.push(`role ${u.role}: ${u.fate}`);

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
    notices,
    backup: { skipped: Boolean(input.skipBackup), databases: input.skipBackup ? [] : backupDatabases },
    matrix: { before, after },
    steps,
    rollback: { command: `pgharden rollback ${input.planDir}`, shell: shellRollback(input) },
  };
  return { ...body, id: planId(body) } as Plan;
}

/** The plan's id: sha256 of the canonical JSON of everything but the id. */
export function planId(body: Omit<Plan, 'id'> | Plan): string {
  const { id: _id, ...rest } = body as Plan;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
