/**
 * The server's first answer once a rule has matched: what a startup packet gets back before any
 * password is sent. The probe's oracle tests compare it with the real server.
 */
import type { AuthMethod } from '../conf/hba-types.js';

/** How the role's password is stored in pg_authid. */
export type StoredPassword = 'none' | 'md5' | 'scram-sha-256';

/** What the server answers first for a method. */
export type Challenge = 'ok' | 'sasl' | 'md5' | 'password' | 'gss' | 'sspi' | 'reject' | 'fails';

/** What decides the first answer beyond the method and the stored password. */
export interface ChallengeFacts {
  /** The server's password_encryption (default scram-sha-256). */
  passwordEncryption?: string;
  /**
   * `peer` on the local socket: whether the client process' OS user (from the kernel) is the role
   * itself (a rule without `map=`) or maps to it. Unknown or false: the server ends the attempt.
   */
  peerAccepted?: boolean;
}

/**
 * The server's first answer for a matched method. An `md5` rule still asks for SCRAM when the
 * role's password is stored as SCRAM, and, for a role with no password (or no role at all), when
 * password_encryption is scram-sha-256 (the server then runs a mock exchange so as not to reveal
 * which roles exist). `scram-sha-256` always asks for SASL, even for an MD5-stored password.
 * `fails`: the server ends the attempt itself (peer/ident/cert without what they need).
 */
export function expectedChallenge(method: AuthMethod, stored: StoredPassword, facts: ChallengeFacts = {}): Challenge {
  const passwordEncryption = facts.passwordEncryption ?? 'scram-sha-256';
  switch (method) {
    case 'trust':
      return 'ok';
    case 'reject':
      return 'reject';
    case 'scram-sha-256':
    case 'oauth':
      return 'sasl';
    case 'md5':
      if (stored === 'md5') return 'md5';
      if (stored === 'scram-sha-256') return 'sasl';
      return passwordEncryption === 'md5' ? 'md5' : 'sasl';
    case 'password':
    case 'ldap':
    case 'radius':
    case 'pam':
    case 'bsd':
      return 'password';
    case 'gss':
      return 'gss';
    case 'sspi':
      return 'sspi';
    case 'peer':
      return facts.peerAccepted ? 'ok' : 'fails';
    default:
      return 'fails';
  }
}
