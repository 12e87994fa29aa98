/**
 * Stage `verify`: the negative-test matrix. Every claim the plan makes is tested against the
 * server, and the point is that the old paths FAIL: passwordless logins over TCP are refused or
 * asked for a password, superusers are refused over the network, the new app roles cannot
 * CREATE, ALTER, DROP or TRUNCATE while their row privileges work, read-only tables refuse
 * writes, old DSNs are refused and every new DSN logs in.
 */
import type { PlanInput, TableFacts } from './input.js';
import { sampleAddress } from './stage-network.js';
import { qualified } from './stage-roles.js';
import { quoteIdent } from './templates.js';
import type { ConnectionMatrix } from '../audit/matrix.js';
import type { Check, Step } from './plan-types.js';
import { regrants, rolesToCreate } from './delta.js';
import { step } from './step.js';
import { consumerTlsCheck, hardenVerifyTlsSteps, tlsAuthProbes } from './stage-harden-tls.js';

/** What a passwordless startup packet gets under a method, or null when the probe cannot tell. */
export function passwordlessAnswer(method: string): 'refused' | 'password-required' | 'ok' | null {
  if (method === 'reject' || method === 'no entry') return 'refused';
  if (method === 'scram-sha-256' || method === 'md5' || method === 'password') return 'password-required';
  if (method === 'trust') return 'ok';
  return null;
}

/** Network sources of the matrix a probe can stand for (not the local socket, not "anywhere"). */
export function networkSources(m: ConnectionMatrix) {
  // A /0 range is "anywhere", whose sample address no probe can leave from.
  return m.sources.filter((s) => s.label !== 'local' && s.label !== 'anywhere' && !s.label.endsWith('/0'));
}

const table = (t: TableFacts) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;

/** DML that touches no row but is checked for privileges like any other (WHERE false still needs them). */
function dml(t: TableFacts): Record<'select' | 'insert' | 'update' | 'delete', string> {
  const col = t.firstColumn ? quoteIdent(t.firstColumn) : null;
  return {
    select: `SELECT 1 FROM ${table(t)} LIMIT 1`,
    insert: `INSERT INTO ${table(t)} SELECT * FROM ${table(t)} WHERE false`,
    update: col
      ? `UPDATE ${table(t)} SET ${col} = ${col} WHERE false`
      : `UPDATE ${table(t)} SET ctid = ctid WHERE false`,
    delete: `DELETE FROM ${table(t)} WHERE false`,
  };
}

function privilegeChecks(input: PlanInput, role: PlanInput['spec']['roles'][number], db: string): Check[] {
  const template = input.templates.get(role.template)!;
  const inSchema = (input.tables.get(db) ?? []).filter((t) => t.schema === role.schema);
  const readOnly = new Set(role.readOnlyTables.map((t) => qualified(t, role.schema)));
  const writable = inSchema.find((t) => !readOnly.has(table(t)));
  const checks: Check[] = [];
  const grants = new Set(
    template.tablePrivileges.includes('all')
      ? ['select', 'insert', 'update', 'delete', 'truncate']
      : template.tablePrivileges,
  );
  const check = (sql: string, expect: 'allowed' | 'denied'): Check => ({
    check: 'privilege',
    role: role.name,
    database: db,
    sql,
    expect,
    ...(input.tls ? { ssl: true } : {}),
  });
  checks.push(
    check(
      `CREATE TABLE ${quoteIdent(role.schema)}.pgharden_probe (id int)`,
      template.createsInSchema ? 'allowed' : 'denied',
    ),
  );
  if (writable) {
    for (const [priv, sql] of Object.entries(dml(writable)))
      checks.push(check(sql, grants.has(priv) ? 'allowed' : 'denied'));
    if (template.kind === 'app') {
      checks.push(check(`ALTER TABLE ${table(writable)} ADD COLUMN pgharden_probe int`, 'denied'));
      checks.push(check(`DROP TABLE ${table(writable)}`, 'denied'));
      checks.push(check(`TRUNCATE ${table(writable)}`, grants.has('truncate') ? 'allowed' : 'denied'));
    }
  }
  for (const t of inSchema.filter((x) => readOnly.has(table(x)))) {
    const q = dml(t);
    checks.push(
      check(q.select, grants.has('select') ? 'allowed' : 'denied'),
      check(q.insert, 'denied'),
      check(q.update, 'denied'),
      check(q.delete, 'denied'),
    );
  }
  return checks;
}

export function verifySteps(input: PlanInput, after: ConnectionMatrix, superusers: string[]): Step[] {
  const steps: Step[] = [];
  const auth: Check[] = [];
  for (const role of after.roles) {
    for (const src of networkSources(after)) {
      const expect = passwordlessAnswer(after.cells[role]![src.label]!);
      if (expect && expect !== 'ok')
        auth.push({
          check: 'auth',
          user: role,
          database: after.database,
          from: { address: src.address, ...(src.label.includes('/') ? { range: src.label } : {}) },
          expect,
        });
    }
  }
  steps.push(
    step({
      id: 'verify/passwordless',
      stage: 'verify',
      kind: 'probe',
      description: `No role gets in over TCP without a password, and ${superusers.length ? superusers.join(', ') : 'no superuser'} ${superusers.length === 1 ? 'is' : 'are'} refused over the network (${auth.length} probes, none sends a password)`,
      forward: { do: 'probe', checks: tlsAuthProbes(input, auth) },
    }),
  );
  steps.push(
    step({
      id: 'verify/admin-path',
      stage: 'verify',
      kind: 'probe',
      description: `The admin path is kept: ${input.serverUser.name} over the local socket with peer`,
      forward: {
        do: 'probe',
        checks: [{ check: 'auth', user: input.serverUser.name, database: 'postgres', from: 'local', expect: 'ok' }],
      },
    }),
  );
  // Only the roles this plan creates or regrants: a role taken over as it is was proven before.
  const changed = new Set([...rolesToCreate(input), ...regrants(input).map((g) => g.role)].map((r) => r.name));
  for (const r of input.spec.roles.filter((x) => changed.has(x.name))) {
    for (const db of r.databases) {
      steps.push(
        step({
          id: `verify/privileges-${r.name}-${db}`,
          stage: 'verify',
          kind: 'probe',
          description: `${r.name} in ${db}: what "${r.template}" grants works, everything else is refused (each statement runs in a transaction that is rolled back)`,
          forward: { do: 'probe', checks: privilegeChecks(input, r, db) },
        }),
      );
    }
  }
  // Consumers connect from the trusted ranges: their old identity is tried from there.
  const consumerSource =
    after.sources.find((s) => s.address === sampleAddress(input.spec.network.trustedRanges[0]!)) ??
    networkSources(after)[0]!;
  for (const c of input.consumers) {
    const oldAnswer = passwordlessAnswer(after.cells[c.oldUser]?.[consumerSource.label] ?? 'no entry');
    steps.push(
      step({
        id: `verify/consumer-${c.name}`,
        stage: 'verify',
        kind: 'probe',
        description: `${c.name}: its new connection string logs in; its old identity (${c.oldUser}, no password) does not`,
        forward: {
          do: 'probe',
          checks: tlsAuthProbes(input, [
            input.tls
              ? consumerTlsCheck(input, c.name)
              : { check: 'consumer-dsn', consumer: c.name, path: c.path, expect: 'ok' },
            ...(oldAnswer && oldAnswer !== 'ok'
              ? [
                  {
                    check: 'auth' as const,
                    user: c.oldUser,
                    database: c.database ?? 'postgres',
                    from: {
                      address: consumerSource.address,
                      ...(consumerSource.label.includes('/') ? { range: consumerSource.label } : {}),
                    },
                    expect: oldAnswer,
                  },
                ]
              : []),
          ]),
        },
      }),
    );
  }
  steps.push(
    ...hardenVerifyTlsSteps(input, {
      address: consumerSource.address,
      ...(consumerSource.label.includes('/') ? { range: consumerSource.label } : {}),
    }),
  );
  return steps;
}
