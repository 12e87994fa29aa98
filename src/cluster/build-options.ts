import type pg from 'pg';
import { DISTRO_BUILD, type BuildFeatures, type ServerContext } from '../conf/context.js';

/** What reading the server's build options from `pg_config` found, and what it had to assume. */
export interface DetectedContext {
  context: ServerContext;
  /** Set when the build features were assumed (the `pg_config` view needs superuser). */
  assumedBuild?: string;
}

/** Build features from the `CONFIGURE` line of `pg_config` (e.g. `'--with-openssl' '--with-ldap'`). */
export function buildFromConfigure(configure: string): BuildFeatures {
  const has = (flag: string) => configure.includes(`--with-${flag}`);
  return {
    ssl: has('openssl') || has('ssl=openssl'),
    gssapi: has('gssapi'),
    ldap: has('ldap'),
    pam: has('pam'),
    bsd: has('bsd-auth'),
    sspi: false,
  };
}

/** The judging context of a connected server: its major, `ssl` setting and build features. */
export async function contextFromServer(client: pg.Client): Promise<DetectedContext> {
  // pg_settings, not current_setting(): a superuser-only setting is then absent instead of an error.
  const { rows } = await client.query<{ v: string; ssl: string; oauth: string | null }>(
    `SELECT current_setting('server_version_num') AS v,
            current_setting('ssl') AS ssl,
            (SELECT setting FROM pg_settings WHERE name = 'oauth_validator_libraries') AS oauth`,
  );
  const row = rows[0]!;
  const base = {
    major: Math.floor(Number(row.v) / 10000),
    ssl: row.ssl === 'on',
    oauthValidatorLibraries: (row.oauth ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
  try {
    const cfg = await client.query<{ setting: string }>("SELECT setting FROM pg_config WHERE name = 'CONFIGURE'");
    return { context: { ...base, build: buildFromConfigure(cfg.rows[0]?.setting ?? '') } };
  } catch (err) {
    return {
      context: { ...base, build: DISTRO_BUILD },
      assumedBuild: `could not read pg_config (${(err as Error).message}); assuming a distribution build with OpenSSL, GSSAPI, LDAP and PAM`,
    };
  }
}
