/**
 * A seeded, grammar-based generator of pg_hba.conf file sets, valid and invalid lines alike,
 * for what the real-world corpus lacks: include directives and @file lists (with real files),
 * /regex names, continuation lines, quoted keywords, IPv6 zones, hostgssenc, every method and
 * option. Files are relative to the main file's directory.
 */
import { seededRandom } from './match-gen.js';

export { seededRandom };

export interface GeneratedHba {
  main: string;
  /** Extra files (included files, @file lists), by path relative to the main file's directory. */
  files: Record<string, string>;
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number) => r() < p;

const TYPES = [
  'local',
  'host',
  'host',
  'hostssl',
  'hostnossl',
  'hostgssenc',
  'hostnogssenc',
  'hots',
  '"host"',
  'host,local',
];
const ADDRESSES = [
  '10.0.0.0/8',
  '192.168.1.0/24',
  '127.1',
  '10.0.0.1 255.255.255.0',
  '10.0.0.1 255.0.255.0',
  '::1/128',
  'fe80::/10',
  'fe80::1%lo/64',
  'fe80::1%nosuch',
  '2001:db8::/33',
  '::ffff:1.2.3.4/128',
  'all',
  'samehost',
  'samenet',
  '"all"',
  'db.example.com',
  '.example.com',
  'db.example/24',
  '10.0.0.0/33',
  '300.1.1.1/8',
  '10.0.0.0',
  '10.0.0.0 ffff::',
  '0x0a.1/16',
  '1.2.3.4/+8',
  '10.0.0.0/-1',
  '10.0.0.0,10.1.0.0/16',
  '2001:db8::1 ffff:ffff::',
];
const METHODS = [
  'trust',
  'reject',
  'md5',
  'password',
  'scram-sha-256',
  'gss',
  'sspi',
  'ident',
  'peer',
  'ldap',
  'radius',
  'cert',
  'pam',
  'bsd',
  'oauth',
  'md6',
  '"trust"',
  'trust,md5',
];
const OPTIONS = [
  'map=m1',
  'clientcert=verify-full',
  'clientcert=verify-ca',
  'clientcert=bad',
  'clientname=CN',
  'clientname=XX',
  'pamservice=svc',
  'pam_use_hostname=1',
  'ldapserver=ldap.example.com',
  'ldapbasedn="dc=example,dc=com"',
  'ldapprefix=cn=',
  'ldapsuffix=,dc=x',
  'ldapport=389',
  'ldapport=abc',
  'ldaptls=1',
  'ldapscheme=ldaps',
  'ldapscheme=http',
  'ldapsearchattribute=uid',
  'ldapsearchfilter=(uid=$username)',
  'ldapurl=ldap://ldap.example.com/dc=x?uid?sub',
  'krb_realm=EXAMPLE.COM',
  'include_realm=0',
  'radiusservers=127.0.0.1',
  'radiusservers=127.0.0.1,127.0.0.2',
  // Names that do not resolve (the .invalid domain never does): the line fails only in the log.
  'radiusservers=nosuch.invalid',
  'radiusservers=127.0.0.1,nosuch.invalid',
  'radiussecrets=s3cr3t',
  'radiusports=1812',
  'radiusports=0',
  'radiusidentifiers=pg',
  'issuer=https://id.example.com',
  'scope=openid',
  'validator=v',
  'delegate_ident_mapping=1',
  'foo=bar',
  'noequals',
  'map="quoted map"',
];

function names(r: Rand, major: number, kind: 'db' | 'user'): string {
  const common =
    kind === 'db'
      ? [
          'all',
          'sameuser',
          'samerole',
          'samegroup',
          'replication',
          '"all"',
          '"replication"',
          'db1',
          '"my db"',
          '@dbs.txt',
          '@missing.txt',
          '"@dbs.txt"',
        ]
      : ['all', '+grp', '"+grp"', 'u1', '"Mixed Case"', 'u""q', '@users.txt', '"all"', '+"grp x"'];
  const v16 = major >= 16 ? ['/^r.*$', '/(', '"/^quoted"', '/[a-z]+'] : ['/^r.*$'];
  const n = 1 + Math.floor(r() * 3);
  return Array.from({ length: n }, () => pick(r, [...common, ...v16])).join(pick(r, [',', ', ', ',,']));
}

function record(r: Rand, major: number): string {
  const type = pick(r, TYPES);
  const parts = [type, names(r, major, 'db'), names(r, major, 'user')];
  if (!type.startsWith('local') && chance(r, 0.95)) parts.push(pick(r, ADDRESSES));
  if (chance(r, 0.97)) parts.push(pick(r, METHODS));
  const optionCount = chance(r, 0.5) ? 0 : 1 + Math.floor(r() * 3);
  for (let i = 0; i < optionCount; i++) parts.push(pick(r, OPTIONS));
  let line = parts.join(pick(r, [' ', '\t', '   ']));
  if (chance(r, 0.1)) line += pick(r, ['  # trailing comment', '#c', '   ']);
  if (chance(r, 0.08)) {
    // Split at a blank into backslash-continued physical lines.
    const at = line.indexOf(' ', Math.floor(r() * line.length));
    if (at > 0) line = `${line.slice(0, at)} \\\n   ${line.slice(at + 1)}`;
  }
  return line;
}

function lines(r: Rand, major: number, count: number, includes: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const k = r();
    if (k < 0.1) out.push(pick(r, ['# comment', '', '   # indented', '\t']));
    else if (includes && k < 0.18)
      out.push(
        pick(r, [
          'include inc/one.conf',
          'include_if_exists inc/missing.conf',
          'include inc/missing.conf',
          'include_dir inc/dir',
          'include_dir nodir',
          'include "inc/one.conf"',
          'include inc/one.conf extra',
        ]),
      );
    else out.push(record(r, major));
  }
  return out;
}

/** One file set for `major`: a main file of 3 to 12 lines and the files it refers to. */
export function generateHba(r: Rand, major: number): GeneratedHba {
  const eol = chance(r, 0.1) ? '\r\n' : '\n';
  const join = (ls: string[]) => ls.join(eol) + (chance(r, 0.9) ? eol : '');
  const files: Record<string, string> = {
    'dbs.txt': 'db1, db2\n# a comment\n"db x" \\\n db3\n',
    'users.txt': 'u1 "Mixed Case"\n+grp\n',
    'inc/one.conf': join(lines(r, major, 2 + Math.floor(r() * 3), false)),
    'inc/dir/b.conf': join(lines(r, major, 1 + Math.floor(r() * 2), false)),
    'inc/dir/a.conf': join(lines(r, major, 1 + Math.floor(r() * 2), false)),
    'inc/dir/.hidden.conf': 'local all all reject\n',
    'inc/dir/skip.txt': 'local all all reject\n',
  };
  return { main: join(lines(r, major, 3 + Math.floor(r() * 10), true)), files };
}
