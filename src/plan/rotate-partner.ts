/**
 * Rotation's pair of login roles. A PostgreSQL role has exactly one password (one verifier in
 * pg_authid.rolpassword), so a role's password cannot change without a moment where either the
 * consumer's file or the server holds the other one. Each spec role therefore has a partner login,
 * `ROLE_alt`, a member of ROLE (INHERIT: the same privileges, no grants of its own); a rotation
 * gives the login that is not in use a new password, moves the consumers to it, drains the old
 * one's sessions and only then takes the old login's password away. The next rotation goes back.
 */

/** The partner login role of a spec role. */
export const partnerOf = (role: string) => `${role}_alt`;

/** The logins a spec role's consumers may use: the role itself and its partner. */
export const loginsOf = (role: string) => [role, partnerOf(role)];
