/**
 * Every role with its attributes, how its password is stored and every role it reaches through
 * grants (for +group and samerole). Without access to pg_authid, the password storage is
 * "unknown" and the reason is added to the snapshot's limits.
 */
import type pg from 'pg';

/** How a role's password is stored in pg_authid. */
export type PasswordStorage = 'none' | 'md5' | 'scram-sha-256' | 'unknown';

export interface RoleFacts {
  name: string;
  superuser: boolean;
  login: boolean;
  createrole: boolean;
  createdb: boolean;
  replication: boolean;
  bypassrls: boolean;
  inherit: boolean;
  password: PasswordStorage;
  /** Direct memberships. */
  memberOf: string[];
  /** Every role reached through any chain of grants (for +group and samerole). */
  allGroups: string[];
}

function passwordStorage(secret: string | null): PasswordStorage {
  if (secret === null) return 'none';
  if (secret.startsWith('SCRAM-SHA-256$')) return 'scram-sha-256';
  if (/^md5[0-9a-f]{32}$/.test(secret)) return 'md5';
  return 'unknown';
}

/** A row of the role query (pg_authid, or pg_roles without access to it). */
type RoleRow = {
  name: string;
  su: boolean;
  login: boolean;
  cr: boolean;
  cd: boolean;
  rep: boolean;
  bypass: boolean;
  inh: boolean;
  secret: string | null;
  direct: string[];
  all: string[];
};

/** Reads the role facts; `limits` receives what could not be seen. */
export async function readRoleFacts(client: pg.Client, limits: string[]): Promise<RoleFacts[]> {
  const roleRows = await client
    .query<RoleRow>(
      `WITH RECURSIVE m(member, grp) AS (
         SELECT member, roleid FROM pg_auth_members
         UNION SELECT m.member, a.roleid FROM m JOIN pg_auth_members a ON a.member = m.grp),
       direct AS (SELECT x.member, array_agg(g.rolname ORDER BY g.rolname) AS names
                  FROM pg_auth_members x JOIN pg_roles g ON g.oid = x.roleid GROUP BY x.member),
       reach AS (SELECT m.member, array_agg(DISTINCT g.rolname) AS names
                 FROM m JOIN pg_roles g ON g.oid = m.grp GROUP BY m.member)
       SELECT a.rolname AS name, a.rolsuper AS su, a.rolcanlogin AS login, a.rolcreaterole AS cr, a.rolcreatedb AS cd,
              a.rolreplication AS rep, a.rolbypassrls AS bypass, a.rolinherit AS inh, a.rolpassword AS secret,
              coalesce(direct.names, '{}') AS direct, coalesce(reach.names, '{}') AS all
       FROM pg_authid a LEFT JOIN direct ON direct.member = a.oid LEFT JOIN reach ON reach.member = a.oid
       WHERE a.rolname !~ '^pg_' ORDER BY a.rolname`,
    )
    .catch(async (err: Error) => {
      limits.push(`pg_authid: ${err.message}; password storage unknown`);
      return client.query<RoleRow>(
        `SELECT rolname AS name, rolsuper AS su, rolcanlogin AS login, rolcreaterole AS cr, rolcreatedb AS cd, rolreplication AS rep,
                rolbypassrls AS bypass, rolinherit AS inh, '?' AS secret, '{}'::text[] AS direct, '{}'::text[] AS all
         FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname`,
      );
    });
  return roleRows.rows.map((r) => ({
    name: r.name,
    superuser: r.su,
    login: r.login,
    createrole: r.cr,
    createdb: r.cd,
    replication: r.rep,
    bypassrls: r.bypass,
    inherit: r.inh,
    password: r.secret === '?' ? 'unknown' : passwordStorage(r.secret),
    memberOf: r.direct,
    allGroups: r.all,
  }));
}
