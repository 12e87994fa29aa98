/**
 * Running a plan's checks against the live server. Each result records what the server
 * answered, so the report shows evidence rather than a verdict. A probe that cannot leave from
 * its source address on this host is `skipped` (and said so), never counted as passed.
 */
import { FAILED_ROWS_SQL } from '../conf/hba-failures.js';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { clientFrom } from '../connect/from-address.js';
import { keepErrors } from '../connect/lost-connection.js';
import { probe, type ProbeResult } from '../hba/probe.js';
import { chooseSite, siteConfig } from '../consumers/edit.js';
import { describeCheck } from '../plan/dry-run.js';
import type { Secrets } from '../plan/secrets.js';
import type { Check, Source } from '../plan/plan-types.js';
import { pgpassLogin } from './pgpass-login.js';
import { familyOf, localAddressIn, unbindable } from './source.js';
import type { AdminSession } from './admin.js';
import { walArchived } from './wal-archived.js';
import { consumerTls, tlsHandshake } from './tls-checks.js';

export interface CheckContext {
  /** Where TCP probes connect to. */
  host: string;
  port: number;
  admin: AdminSession;
  adminRole: string;
  secrets: Secrets;
  /** Where each consumer file's DSN is (its key and format), by path. */
  consumers: Map<string, { key?: string; format: string }>;
  /** The plan directory (files a check reads, e.g. the TLS plan's test certificate). */
  dir?: string;
}

export interface CheckResult {
  description: string;
  outcome: 'pass' | 'fail' | 'skipped';
  /** What the server answered. */
  got: string;
}

function answerOf(r: ProbeResult): string {
  if (r.kind === 'ok') return 'ok';
  if (r.kind === 'sasl' || r.kind === 'md5' || r.kind === 'password') return 'password-required';
  if (r.kind === 'error')
    return r.class === 'no-entry' || r.class === 'rejected' ? 'refused' : `error ${r.code}: ${r.message}`;
  return r.kind;
}

async function login(
  config: pg.ClientConfig,
  from: string | undefined,
  fn?: (c: pg.Client) => Promise<string>,
): Promise<string> {
  const c = from ? clientFrom(from, config) : keepErrors(new pg.Client(config));
  try {
    await c.connect();
  } catch (err) {
    if (unbindable(err)) throw err;
    const code = (err as { code?: string }).code;
    return code === '28P01' || code === '28000' ? 'refused' : `error ${code ?? ''}: ${(err as Error).message}`;
  }
  try {
    return fn ? await fn(c) : 'ok';
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function answer(ch: Check, x: CheckContext, sessions?: Map<string, pg.Client>): Promise<string> {
  switch (ch.check) {
    case 'auth':
      if (ch.from === 'local') {
        // The local socket as the admin role is the admin path itself (peer maps pgharden's child, not a probe).
        if (ch.user !== x.adminRole) return 'skipped: only the admin path is probed over the local socket';
        return x.admin.query('SELECT 1').then(
          () => 'ok',
          (err: Error) => `error: ${err.message}`,
        );
      }
      return answerOf(
        await probe({
          host: x.host,
          port: x.port,
          localAddress: ch.from.address,
          user: ch.user,
          database: ch.database,
          ...(ch.ssl ? { ssl: true } : {}),
        }),
      );
    case 'login':
      return login(
        { host: x.host, port: x.port, user: ch.role, database: ch.database, password: x.secrets[ch.role]!.password },
        ch.from === 'local' ? undefined : ch.from.address,
      );
    case 'privilege': {
      // A role taken over as it is (day two): its password is not pgharden's; the admin session acts as it.
      if (!x.secrets[ch.role]) return asRole(ch, x);
      // One session per role and database for all its statements (a SCRAM login costs a key derivation).
      const key = `${ch.role}\0${ch.database}${ch.ssl ? '\0ssl' : ''}`;
      let c = sessions?.get(key);
      if (!c) {
        c = keepErrors(
          new pg.Client({
            host: x.host,
            port: x.port,
            user: ch.role,
            database: ch.database,
            password: x.secrets[ch.role]!.password,
            // Once pg_hba.conf requires TLS: encrypted. Who the server is was proven by the plan's
            // TLS handshake and the consumers' verify-full logins; this check is about privileges.
            ...(ch.ssl ? { ssl: { rejectUnauthorized: false } } : {}),
          }),
        );
        await c.connect();
        if (sessions) sessions.set(key, c);
      }
      try {
        await c.query('BEGIN');
        await c.query(ch.sql);
        return 'allowed';
      } catch (err) {
        const code = (err as { code?: string }).code;
        return code === '42501' ? 'denied' : `error ${code ?? ''}: ${(err as Error).message}`;
      } finally {
        await c.query('ROLLBACK').catch(() => undefined);
        if (!sessions) await c.end();
      }
    }
    case 'consumer-dsn': {
      const text = readFileSync(ch.path, 'utf8');
      const c = x.consumers.get(ch.path);
      const site = chooseSite(ch.path, text, c?.key, c?.format);
      if (site.kind === 'pgpass') return pgpassLogin(ch.path, site, { host: x.host, port: x.port });
      return login(siteConfig(site, { host: x.host, port: x.port }) as pg.ClientConfig, undefined);
    }
    case 'hba-valid': {
      const bad = await x.admin.query<{ line_number: number; error: string }>(FAILED_ROWS_SQL);
      return bad.length ? bad.map((b) => `line ${b.line_number}: ${b.error}`).join('; ') : 'ok';
    }
    case 'setting': {
      const [r] = await x.admin.query<{ v: string }>('SELECT current_setting($1) AS v', [ch.name]);
      return r!.v;
    }
    case 'wal-archived':
      return walArchived(ch, x.admin);
    case 'tls-handshake':
      return tlsHandshake(ch, x);
    case 'consumer-tls':
      return consumerTls(ch, x);
    default:
      throw new Error(`internal: unknown check ${JSON.stringify(ch)}`);
  }
}

/** A privilege check on the admin session under SET LOCAL ROLE, in a transaction that is rolled back. */
async function asRole(ch: Extract<Check, { check: 'privilege' }>, x: CheckContext): Promise<string> {
  await x.admin.query('BEGIN', [], ch.database);
  try {
    await x.admin.query(`SET LOCAL ROLE "${ch.role.replaceAll('"', '""')}"`, [], ch.database);
    await x.admin.query(ch.sql, [], ch.database);
    return 'allowed';
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === '42501' ? 'denied' : `error ${code ?? ''}: ${(err as Error).message}`;
  } finally {
    await x.admin.query('ROLLBACK', [], ch.database).catch(() => undefined);
  }
}

const expected = (ch: Check): string => {
  switch (ch.check) {
    case 'auth':
    case 'login':
    case 'privilege':
    case 'consumer-dsn':
      return ch.expect;
    case 'hba-valid':
      return 'ok';
    case 'setting':
      return ch.value;
    case 'wal-archived':
      return 'archived';
    case 'tls-handshake':
      return ch.sha256;
    case 'consumer-tls':
      return ch.expect;
    default:
      return '?';
  }
};

export async function runCheck(ch: Check, x: CheckContext, sessions?: Map<string, pg.Client>): Promise<CheckResult> {
  const description = describeCheck(ch);
  const judge = (got: string, note = ''): CheckResult =>
    got.startsWith('skipped')
      ? { description, outcome: 'skipped', got }
      : { description: description + note, outcome: got === expected(ch) ? 'pass' : 'fail', got };
  try {
    return judge(await answer(ch, x, sessions));
  } catch (err) {
    if (!unbindable(err)) return { description, outcome: 'fail', got: `error: ${(err as Error).message}` };
    const from = (ch as { from?: Source }).from;
    const address = from && from !== 'local' ? from.address : '?';
    const range = from && from !== 'local' ? from.range : undefined;
    const alt = range ? localAddressIn(range, familyOf(x.host)) : undefined;
    const skipped = (tried: string): CheckResult => ({
      description,
      outcome: 'skipped',
      got: `skipped: this host has no address in ${range ?? address} that can reach ${x.host} (${tried}); not proven`,
    });
    if (!alt) return skipped(`${address}: ${(err as NodeJS.ErrnoException).code}`);
    try {
      return judge(
        await answer({ ...ch, from: { address: alt, range } } as Check, x, sessions),
        ` (left from ${alt}, this host's address in ${range})`,
      );
    } catch (again) {
      if (unbindable(again)) return skipped(`${alt}: ${(again as NodeJS.ErrnoException).code}`);
      return { description, outcome: 'fail', got: `error: ${(again as Error).message}` };
    }
  }
}

export async function runChecks(checks: readonly Check[], x: CheckContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const sessions = new Map<string, pg.Client>();
  try {
    for (const ch of checks) out.push(await runCheck(ch, x, sessions));
  } finally {
    for (const c of sessions.values()) await c.end().catch(() => undefined);
  }
  return out;
}
