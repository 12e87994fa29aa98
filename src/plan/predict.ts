/**
 * The cluster as it will be after the plan, predicted with pgharden's own matcher: the new roles
 * exist and the final rules are loaded. The planner refuses (exit 3) a plan whose prediction
 * loses an admin path, keeps trust for anyone over TCP, or cuts a consumer off.
 */
import { connectionMatrix, type ConnectionMatrix } from '../audit/matrix.js';
import type { Snapshot } from '../cluster/introspect.js';
import type { HbaLine } from '../conf/hba-types.js';
import { matchConnection } from '../hba/match.js';
import { consumerLockouts } from './consumer-lockout.js';
import type { PlanInput } from './input.js';

/** The snapshot as it will be after the plan: the new roles exist and these rules are loaded. */
export function snapshotWith(s: Snapshot, file: string, lines: HbaLine[], newRoles: string[]): Snapshot {
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

/** The connection matrix of a snapshot, without a column that repeats "anywhere". */
export const matrixOf = (s: Snapshot, database = 'postgres'): ConnectionMatrix => {
  const m = connectionMatrix(s, database);
  // A 0.0.0.0/0 or ::/0 column would repeat "anywhere".
  const sources = m.sources.filter((x) => !x.label.endsWith('/0'));
  const cells = Object.fromEntries(
    Object.entries(m.cells).map(([r, row]) => [r, Object.fromEntries(sources.map((x) => [x.label, row[x.label]!]))]),
  );
  return { database: m.database, sources, roles: m.roles, cells };
};

/** Every reason the predicted result is unsafe, each with what to do. */
export function predictedProblems(
  input: PlanInput,
  s: Snapshot,
  afterSnapshot: Snapshot,
  after: ConnectionMatrix,
): string[] {
  const late: string[] = [];
  if (after.cells[input.serverUser.name]?.local !== 'peer') {
    late.push(
      `after the flip, ${input.serverUser.name} over the local socket would get "${after.cells[input.serverUser.name]?.local}", not peer: pgharden would lose its admin path; add "local all ${input.serverUser.name} peer" as the first local rule`,
    );
  }
  // Rules can differ per database: the trust check looks at every database, not only the matrix's.
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
  for (const l of consumerLockouts(input, afterSnapshot.hba.loaded!.files.get(input.hba.file)!.lines)) late.push(l);
  return late;
}
