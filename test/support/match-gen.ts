/**
 * A seeded generator of small pg_hba.conf rule sets over the roles, databases and loopback
 * sources that test/integration/hba-match.test.ts creates, for differential matching.
 */

/**
 * Roles the probes log in as (`postgres`, the harness' admin path, is kept out). `root` is the
 * test process' OS user, so `peer` accepts it; `su` is a superuser in no group; `dave` is a
 * NOINHERIT member of grp_app; `ghost` does not exist; `md5user` and `scramuser` have passwords
 * stored as MD5 and SCRAM.
 */
export const ROLES = ['alice', 'bob', 'carol', 'Mixed Case', 'md5user', 'scramuser', 'root', 'su', 'dave', 'ghost'];
/**
 * Databases named in startup packets; `alice` is named like a role, `nodb` and `ghost` do not
 * exist (`ghost` is named like the missing role, for sameuser and samerole).
 */
export const DATABASES = ['postgres', 'alice', 'grp_app', 'shop', 'nodb', 'ghost'];
/** The local socket and source addresses in 127.0.0.0/8. */
export const SOURCES = ['local', '127.0.0.1', '127.0.0.2', '127.10.0.7', '127.200.3.4'];

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

/** What the server under test supports: rule forms it would flag as errors are left out. */
export interface GenTarget {
  major: number;
  ssl: boolean;
  gssapi: boolean;
}

/** One rule set: 2 to 8 lines, without error rows on `target`. */
export function generateRuleSet(r: () => number, target: GenTarget): string {
  const regex = target.major >= 16;
  const databases = [
    'all',
    'sameuser',
    'samerole',
    'samegroup',
    'replication',
    '"all"',
    '"sameuser"',
    '"replication"',
    'shop',
    'alice',
    'postgres',
    'grp_app',
    'nodb',
    'ghost',
    ...(regex ? ['/^a', '/^(shop|postgres)$', '"/^a"', '/p'] : []),
  ];
  const users = [
    'all',
    '+grp_app',
    '+grp_all',
    '+grp_ops',
    '+su',
    '"+grp_ops"',
    '"all"',
    'alice',
    'bob',
    '"Mixed Case"',
    'carol',
    'md5user',
    'scramuser',
    'root',
    'su',
    'dave',
    'ghost',
    '+ghost',
    'ALICE',
    ...(regex ? ['/^[ab]', '/Case$', '"/^c"', '/^(root|su)$'] : []),
  ];
  const addresses = [
    '127.0.0.0/8',
    '127.10.0.0/16',
    '127.0.0.1/32',
    '127.0.0.2 255.255.255.255',
    '127.10.0.0 255.255.0.0',
    '127.200.0.0/9',
    '127.0.0.0/31',
    'all',
    'samehost',
    'samenet',
    '0.0.0.0/0',
    '10.0.0.0/8',
    '::1/128',
    '::/0',
    // Host names in one set of ten: the server then asks DNS about every source that reaches them.
    ...(r() < 0.1 ? ['localhost', '.localhost', 'vm'] : []),
  ];
  // md5 twice: its first answer depends on the stored password and password_encryption.
  const hostMethods = ['trust', 'reject', 'md5', 'md5', 'scram-sha-256', 'password', 'ident'];
  const localMethods = ['trust', 'reject', 'md5', 'md5', 'scram-sha-256', 'password', 'peer'];
  const types = [
    'local',
    'host',
    'host',
    'hostnossl',
    ...(target.ssl ? ['hostssl', 'hostssl'] : []),
    ...(target.gssapi ? ['hostgssenc', 'hostnogssenc'] : []),
  ];
  const lines: string[] = [];
  const count = 2 + Math.floor(r() * 7);
  for (let i = 0; i < count; i++) {
    const type = pick(r, types);
    const db = list(r, databases);
    const user = list(r, users);
    if (type === 'local') lines.push(`local ${db} ${user} ${pick(r, localMethods)}`);
    else lines.push(`${type} ${db} ${user} ${pick(r, addresses)} ${pick(r, hostMethods)}`);
  }
  return `${lines.join('\n')}\n`;
}
