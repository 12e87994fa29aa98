import type pg from 'pg';

/**
 * Every role's memberships, direct and indirect, as PostgreSQL checks them for `+group` and
 * `samerole` in pg_hba.conf: membership through any chain of grants, whatever the INHERIT
 * flags, and a superuser is not a member of a group just by being superuser.
 */
export interface RoleMemberships {
  /** role name → the names of every role it is a member of (not including itself). */
  groupsOf: Map<string, Set<string>>;
  /** Every role that exists: an unknown user is a member of nothing, not even of itself. */
  roles: Set<string>;
}

/** Reads pg_auth_members and closes it transitively. */
export async function readRoleMemberships(client: pg.Client): Promise<RoleMemberships> {
  const { rows } = await client.query<{ member: string; grp: string }>(
    `WITH RECURSIVE m(member, grp) AS (
       SELECT member, roleid FROM pg_auth_members
       UNION
       SELECT m.member, a.roleid FROM m JOIN pg_auth_members a ON a.member = m.grp
     )
     SELECT r.rolname AS member, g.rolname AS grp
     FROM m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.grp`,
  );
  const groupsOf = new Map<string, Set<string>>();
  for (const { member, grp } of rows) {
    let set = groupsOf.get(member);
    if (!set) {
      set = new Set();
      groupsOf.set(member, set);
    }
    set.add(grp);
  }
  const all = await client.query<{ rolname: string }>('SELECT rolname FROM pg_roles');
  return { groupsOf, roles: new Set(all.rows.map((r) => r.rolname)) };
}

/** `memberOf(user, group)`: true for the role itself and every group it reaches. */
export function memberOf(m: RoleMemberships): (user: string, group: string) => boolean {
  return (user, group) => (user === group && m.roles.has(user)) || (m.groupsOf.get(user)?.has(group) ?? false);
}
