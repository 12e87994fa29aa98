/**
 * What a PostgreSQL server would need to know to judge a config line the way it does.
 *
 * Several `pg_hba.conf` errors depend on the server, not the text: `hostssl` is an error
 * while `ssl=off`, `clientcert=1` is refused from 14 on, `oauth` exists from 18, `ldap`
 * is an error on a build without LDAP. Parsers take this context as a value; it comes from
 * the connected server (see `src/cluster/context.ts`) or from CLI flags.
 */
export interface ServerContext {
  /** Major version, e.g. 15 or 18. */
  major: number;
  /** The `ssl` setting: `hostssl` lines are errors while it is off. */
  ssl: boolean;
  /** What the server binary was built with. */
  build: BuildFeatures;
  /** `oauth_validator_libraries` (18+): `oauth` lines need a validator when none is named. */
  oauthValidatorLibraries: string[];
  /**
   * Network interface names of the server's host: an IPv6 `%zone` must name one (or be a
   * number), else getaddrinfo fails and PostgreSQL reads the address as a host name.
   * Undefined: any zone is taken as valid.
   */
  interfaces?: string[];
}

/** Compile-time features of a server build that change how `pg_hba.conf` is judged. */
export interface BuildFeatures {
  /** Built with OpenSSL (USE_SSL). */
  ssl: boolean;
  /** Built with GSSAPI (ENABLE_GSS): `gss` method and `hostgssenc` lines. */
  gssapi: boolean;
  /** Built with LDAP (USE_LDAP). */
  ldap: boolean;
  /** Built with PAM (USE_PAM). */
  pam: boolean;
  /** Built with BSD auth (USE_BSD_AUTH). */
  bsd: boolean;
  /** Windows-only SSPI (ENABLE_SSPI). */
  sspi: boolean;
}

/** The newest major pgharden knows the syntax of. */
export const NEWEST_MAJOR = 18;

/** A typical Linux distribution build: OpenSSL, GSSAPI, LDAP and PAM; no BSD auth, no SSPI. */
export const DISTRO_BUILD: BuildFeatures = {
  ssl: true,
  gssapi: true,
  ldap: true,
  pam: true,
  bsd: false,
  sspi: false,
};

/** The context assumed when no server is connected and no flag says otherwise. */
export function defaultContext(overrides: Partial<ServerContext> = {}): ServerContext {
  return {
    major: NEWEST_MAJOR,
    ssl: true,
    build: DISTRO_BUILD,
    oauthValidatorLibraries: [],
    ...overrides,
  };
}
