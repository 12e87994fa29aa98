/**
 * A seeded generator of small pg_hba.conf rule sets over the roles, databases and loopback
 * sources that test/integration/hba-match.test.ts creates, for differential matching.
 */

/** Login roles the test creates (and `postgres`, kept out: the harness' admin path). */
export const ROLES = ['alice', 'bob', 'carol', 'Mixed Case', 'md5user'];
export const DATABASES = ['postgres', 'alice', 'grp_app', 'shop'];
/** The local socket and source addresses in 127.0.0.0/8. */
export const SOURCES = ['local', '127.0.0.1', '127.0.0.2', '127.10.0.7', '127.10.1.9', '127.200.3.4'];

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function list(r: () => number, items: readonly string[]): string {
  const n = 1 + Math.floor(r() * 2);
  return Array.from({ length: n }, () => pick(r, items)).join(pick(r, [',', ', ']));
}

/** One rule set: 2 to 7 lines, valid on `major` with ssl off. */
export function generateRuleSet(r: () => number, major: number): string {
  const databases = ['all', 'sameuser', 'samerole', 'samegroup', 'replication', '"all"', 'shop', 'alice', 'postgres', 'grp_app', ...(major >= 16 ? ['/^a', '/^(shop|postgres)$'] : [])];
  const users = ['all', '+grp_app', '+grp_all', '+grp_ops', '"+grp_ops"', 'alice', 'bob', '"Mixed Case"', 'carol', 'md5user', ...(major >= 16 ? ['/^[ab]', '/Case$'] : [])];
  const addresses = ['127.0.0.0/8', '127.10.0.0/16', '127.0.0.1/32', '127.0.0.2 255.255.255.255', '127.10.0.0 255.255.0.0', '127.200.0.0/9', 'all', 'samehost', 'samenet', '0.0.0.0/0'];
  const hostMethods = ['trust', 'reject', 'md5', 'scram-sha-256', 'password', 'ident'];
  const localMethods = ['trust', 'reject', 'md5', 'scram-sha-256', 'password', 'peer'];
  const lines: string[] = [];
  const count = 2 + Math.floor(r() * 6);
  for (let i = 0; i < count; i++) {
    const type = pick(r, ['local', 'host', 'host', 'hostnossl']);
    const db = list(r, databases);
    const user = list(r, users);
    if (type === 'local') lines.push(`local ${db} ${user} ${pick(r, localMethods)}`);
    else lines.push(`${type} ${db} ${user} ${pick(r, addresses)} ${pick(r, hostMethods)}`);
  }
  return lines.join('\n') + '\n';
}
