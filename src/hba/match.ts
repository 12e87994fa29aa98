/**
 * Which pg_hba.conf rule a connection hits: PostgreSQL's check_hba, first match wins. Pure:
 * role membership, the server's interface addresses and DNS answers come in as values.
 */
import type { AuthMethod, HbaRule, HbaToken } from '../conf/hba-types.js';
import { formatIp, inNetwork, parseIp, type IpAddress } from '../conf/ip.js';
import type { PlacedRule } from '../conf/load-hba.js';
import { compileName } from '../conf/regex.js';

/** Where a connection comes from. `ssl`/`gss`: whether the session is encrypted that way. */
export type ConnectionSource = { kind: 'local' } | { kind: 'host'; address: string; ssl: boolean; gss?: boolean };

/** A connection attempt as the server sees it before authentication. */
export interface Connection {
  source: ConnectionSource;
  database: string;
  user: string;
  /** A walsender: `physical` (replication=true) or `logical` (replication=database). */
  replication?: 'physical' | 'logical';
}

/** Facts from the server the matcher cannot know from the file alone. */
export interface MatchFacts {
  /** The server's major version: `/regex` names exist from 16 (the default when not given). */
  serverMajor?: number;
  /**
   * Is `user` a member of `group`, directly or through other grants, whatever INHERIT says
   * (itself included; being superuser gives no membership)? False when `user` is not an
   * existing role: PostgreSQL then matches no `+group` and no samerole, not even its own name.
   */
  memberOf(user: string, group: string): boolean;
  /** The server host's interface addresses and netmasks, for samehost/samenet. */
  interfaces?: { address: string; netmask: string }[];
  /** Why `interfaces` is not given (pgharden is not on the server's host, or cannot tell): said when a rule needs them. */
  interfacesUnknown?: string;
  /**
   * DNS as the server's libc answers it, for host-name rules: `reverse` is getnameinfo with a name
   * required (undefined when there is none), `forward` the addresses getaddrinfo gives for a name.
   */
  resolver?: { reverse(address: string): string | undefined; forward(name: string): string[] };
}

export type { PlacedRule };

export type MatchResult =
  | { kind: 'match'; file: string; line: number; method: AuthMethod; rule: HbaRule }
  | { kind: 'none' }
  /** A rule before any match needs facts that were not given (DNS, interfaces): no guess. */
  | { kind: 'undecided'; file: string; line: number; reason: string };

const keyword = (t: HbaToken, word: string) => !t.quoted && t.value === word;

/** Compiled `/regex` tokens, once per token: matrices ask the same rules many times. */
const patterns = new WeakMap<HbaToken, RegExp | null>();

function nameMatches(t: HbaToken, name: string, facts: MatchFacts): boolean {
  // From 16 a name starting with `/` is a regular expression, quoted or not (before 16, a name).
  // The parser marks such tokens (`regex`) for the major it judged them for; hand-built tokens are
  // read by `facts.serverMajor`. Patterns are PostgreSQL AREs, translated by regex.ts.
  const isRegex =
    t.regex === true || (t.regex === undefined && (facts.serverMajor ?? 0) >= 16 && t.value.startsWith('/'));
  if (isRegex) {
    let re = patterns.get(t);
    if (re === undefined) {
      re = compileName(t.value.slice(1));
      patterns.set(t, re);
    }
    return re?.test(name) ?? false;
  }
  return t.value === name;
}

function databaseMatches(tokens: HbaToken[], c: Connection, facts: MatchFacts): boolean {
  for (const t of tokens) {
    if (c.replication === 'physical') {
      // A physical walsender matches only the `replication` keyword.
      if (keyword(t, 'replication')) return true;
      continue;
    }
    if (keyword(t, 'all')) return true;
    if (keyword(t, 'sameuser')) {
      if (c.database === c.user) return true;
    } else if (keyword(t, 'samerole') || keyword(t, 'samegroup')) {
      if (facts.memberOf(c.user, c.database)) return true;
    } else if (keyword(t, 'replication')) {
    } else if (nameMatches(t, c.database, facts)) {
      return true;
    }
  }
  return false;
}

function userMatches(tokens: HbaToken[], c: Connection, facts: MatchFacts): boolean {
  for (const t of tokens) {
    if (!t.quoted && t.value.startsWith('+')) {
      if (facts.memberOf(c.user, t.value.slice(1))) return true;
    } else if (keyword(t, 'all') || nameMatches(t, c.user, facts)) {
      return true;
    }
  }
  return false;
}

type AddressAnswer = boolean | { undecided: string };

/** Parsed network and mask per rule address, computed once: matrices ask the same rules many times. */
const networks = new WeakMap<object, { net: IpAddress; mask: Uint8Array }>();

function addressMatches(rule: HbaRule, client: IpAddress, facts: MatchFacts): AddressAnswer {
  const a = rule.address!;
  switch (a.kind) {
    case 'all':
      return true;
    case 'cidr': {
      let n = networks.get(a);
      if (!n) {
        n = { net: parseIp(a.address)!, mask: parseIp(a.mask)!.bytes };
        networks.set(a, n);
      }
      return client.family === n.net.family && inNetwork(client, n.net, n.mask);
    }
    case 'samehost':
    case 'samenet': {
      if (!facts.interfaces)
        return {
          undecided: `"${a.kind}" needs the server's interface addresses: ${facts.interfacesUnknown ?? 'not known here'}`,
        };
      return facts.interfaces.some((i) => {
        const addr = parseIp(i.address);
        const mask =
          a.kind === 'samehost' ? new Uint8Array(addr?.bytes.length ?? 4).fill(0xff) : parseIp(i.netmask)?.bytes;
        return addr !== null && mask !== undefined && addr.family === client.family && inNetwork(client, addr, mask);
      });
    }
    case 'hostname': {
      if (!facts.resolver) return { undecided: `host name "${a.name}" needs DNS` };
      // The client's reverse name (none: no match), compared case-insensitively, whole or as a
      // `.suffix`; then that name must resolve forward to the client's address.
      const text = formatIp(client);
      const name = facts.resolver.reverse(text)?.toLowerCase();
      if (!name) return false;
      const wanted = a.name.toLowerCase();
      const nameOk = wanted.startsWith('.') ? name.endsWith(wanted) : name === wanted;
      return nameOk && facts.resolver.forward(name).some((f) => sameAddress(parseIp(f), client));
    }
  }
}

const sameAddress = (a: IpAddress | null, b: IpAddress) =>
  a !== null && a.family === b.family && a.bytes.every((x, i) => x === b.bytes[i]);

/**
 * The client address as the server sees it. PostgreSQL's IPv6 sockets are IPv6-only, so an IPv4
 * client always arrives as IPv4: `::ffff:a.b.c.d` is read as `a.b.c.d`. A rule then matches only
 * an address of its own family (no IPv4 rule matches an IPv6 client, and the reverse).
 */
function clientAddress(text: string): IpAddress | null {
  const ip = parseIp(text);
  if (ip?.family !== 6) return ip;
  for (let i = 0; i < 10; i++) if (ip.bytes[i] !== 0) return ip;
  if (ip.bytes[10] !== 0xff || ip.bytes[11] !== 0xff) return ip;
  return { family: 4, bytes: ip.bytes.slice(12) };
}

/** The first rule that matches `c`, as the server would choose it. */
export function matchConnection(rules: readonly PlacedRule[], c: Connection, facts: MatchFacts): MatchResult {
  const client = c.source.kind === 'host' ? clientAddress(c.source.address) : null;
  if (c.source.kind === 'host' && !client) throw new Error(`"${c.source.address}" is not a numeric IP address`);
  for (const { rule, file, line } of rules) {
    if (rule.type === 'local') {
      if (c.source.kind !== 'local') continue;
    } else {
      if (c.source.kind !== 'host') continue;
      if (rule.type === 'hostssl' && !c.source.ssl) continue;
      if (rule.type === 'hostnossl' && c.source.ssl) continue;
      if (rule.type === 'hostgssenc' && !c.source.gss) continue;
      if (rule.type === 'hostnogssenc' && c.source.gss) continue;
      const ok = addressMatches(rule, client!, facts);
      if (typeof ok === 'object') {
        // A rule whose database or user does not fit is passed over whatever its address says.
        if (!databaseMatches(rule.databases, c, facts) || !userMatches(rule.users, c, facts)) continue;
        return { kind: 'undecided', file, line, reason: ok.undecided };
      }
      if (!ok) continue;
    }
    if (!databaseMatches(rule.databases, c, facts)) continue;
    if (!userMatches(rule.users, c, facts)) continue;
    return { kind: 'match', file, line, method: rule.method, rule };
  }
  return { kind: 'none' };
}
