import { describe, expect, it } from 'vitest';
import { defaultContext } from '../../../src/conf/context.js';
import { parseHba } from '../../../src/conf/hba.js';
import { expectedChallenge } from '../../../src/hba/challenge.js';
import { matchConnection, type Connection } from '../../../src/hba/match.js';

const ctx = defaultContext({ major: 16 });
const rulesOf = (text: string) =>
  parseHba(text, { file: '/f', context: ctx }).flatMap((l) =>
    l.kind === 'record' ? [{ rule: l.rule, file: '/f', line: l.line }] : [],
  );
const groups: Record<string, string[]> = { alice: ['admins'], bob: ['ops'] };
const facts = {
  memberOf: (u: string, g: string) => u === g || (groups[u] ?? []).includes(g),
  interfaces: [{ address: '127.0.0.1', netmask: '255.0.0.0' }],
};
const host = (user: string, database: string, address: string, ssl = false): Connection => ({
  source: { kind: 'host', address, ssl },
  database,
  user,
});
const local = (user: string, database: string): Connection => ({ source: { kind: 'local' }, database, user });

describe('matchConnection', () => {
  it.each([
    ['first match wins', 'host all all 10.0.0.0/8 reject\nhost all all 0.0.0.0/0 trust', host('x', 'd', '10.1.1.1'), 1],
    [
      'address outside the range',
      'host all all 10.0.0.0/8 reject\nhost all all 0.0.0.0/0 trust',
      host('x', 'd', '11.1.1.1'),
      2,
    ],
    ['local rules skip TCP', 'local all all trust\nhost all all all md5', host('x', 'd', '1.2.3.4'), 2],
    ['host rules skip the socket', 'host all all all md5\nlocal all all peer', local('x', 'd'), 2],
    ['hostssl needs ssl', 'hostssl all all all cert\nhost all all all md5', host('x', 'd', '1.2.3.4'), 2],
    ['hostnossl skips ssl', 'hostnossl all all all reject\nhost all all all md5', host('x', 'd', '1.2.3.4', true), 2],
    [
      '+group through membership',
      'host all +admins all trust\nhost all all all reject',
      host('alice', 'd', '1.1.1.1'),
      1,
    ],
    [
      'quoted +group is a name',
      'host all "+admins" all trust\nhost all all all reject',
      host('alice', 'd', '1.1.1.1'),
      2,
    ],
    ['sameuser', 'host sameuser all all trust\nhost all all all reject', host('bob', 'bob', '1.1.1.1'), 1],
    ['samerole', 'host samerole all all trust\nhost all all all reject', host('bob', 'ops', '1.1.1.1'), 1],
    [
      'quoted "all" is a database named all',
      'host "all" all all trust\nhost all all all reject',
      host('x', 'd', '1.1.1.1'),
      2,
    ],
    [
      'replication does not match a normal connection',
      'host replication all all trust\nhost all all all reject',
      host('x', 'd', '1.1.1.1'),
      2,
    ],
    ['regex user', 'host all /^ad all trust\nhost all all all reject', host('adam', 'd', '1.1.1.1'), 1],
    ['IPv4 rule matches an IPv4-mapped client', 'host all all 10.0.0.0/8 trust', host('x', 'd', '::ffff:10.0.0.1'), 1],
    [
      'an IPv4-mapped client is IPv4 to IPv6 rules',
      'host all all ::ffff:10.0.0.0/104 trust\nhost all all ::/0 trust\nhost all all all reject',
      host('x', 'd', '::ffff:10.0.0.1'),
      3,
    ],
    [
      'IPv4 rules skip IPv6 clients',
      'host all all 0.0.0.0/0 trust\nhost all all ::1/128 md5',
      host('x', 'd', '::1'),
      2,
    ],
    [
      'IPv6 rules skip IPv4 clients',
      'host all all ::/0 trust\nhost all all 127.0.0.1 255.255.255.255 md5',
      host('x', 'd', '127.0.0.1'),
      2,
    ],
    [
      'address and netmask',
      'host all all 10.1.0.0 255.255.0.0 trust\nhost all all all reject',
      host('x', 'd', '10.1.200.3'),
      1,
    ],
    [
      'address and netmask, outside',
      'host all all 10.1.0.0 255.255.0.0 trust\nhost all all all reject',
      host('x', 'd', '10.2.0.3'),
      2,
    ],
    [
      'hostgssenc needs GSS encryption',
      'hostgssenc all all all trust\nhostnogssenc all all all md5',
      host('x', 'd', '1.1.1.1'),
      2,
    ],
    [
      'samegroup is samerole',
      'host samegroup all all trust\nhost all all all reject',
      host('bob', 'ops', '1.1.1.1'),
      1,
    ],
    [
      'samerole counts the role itself',
      'host samerole all all trust\nhost all all all reject',
      host('bob', 'bob', '1.1.1.1'),
      1,
    ],
    ['sameuser is exact', 'host sameuser all all trust\nhost all all all reject', host('bob', 'Bob', '1.1.1.1'), 2],
    ['names are case-sensitive', 'host all Bob all trust\nhost all all all reject', host('bob', 'd', '1.1.1.1'), 2],
    [
      'quoted sameuser is a database name',
      'host "sameuser" all all trust\nhost all all all reject',
      host('bob', 'bob', '1.1.1.1'),
      2,
    ],
    [
      'samehost is the exact interface address',
      'host all all samehost trust\nhost all all all reject',
      host('x', 'd', '127.0.0.2'),
      2,
    ],
    ['samenet is its network', 'host all all samenet trust\nhost all all all reject', host('x', 'd', '127.0.0.2'), 1],
  ])('%s', (_, text, conn, line) => {
    const m = matchConnection(rulesOf(text), conn, facts);
    expect(m.kind === 'match' ? m.line : m.kind).toBe(line);
  });

  it('reads /names as regular expressions from 16 only, quoted or not', () => {
    const rules = rulesOf('host all "/^ad" all trust\nhost all all all reject');
    expect(matchConnection(rules, host('adam', 'd', '1.1.1.1'), facts)).toMatchObject({ line: 1 });
    // Judged for 15 by the parser, the same text is a plain name.
    const rules15 = parseHba('host all "/^ad" all trust\nhost all all all reject', {
      file: '/f',
      context: defaultContext({ major: 15 }),
    }).flatMap((l) => (l.kind === 'record' ? [{ rule: l.rule, file: '/f', line: l.line }] : []));
    expect(matchConnection(rules15, host('adam', 'd', '1.1.1.1'), { ...facts, serverMajor: 15 })).toMatchObject({
      line: 2,
    });
    expect(matchConnection(rules15, host('/^ad', 'd', '1.1.1.1'), { ...facts, serverMajor: 15 })).toMatchObject({
      line: 1,
    });
  });

  it('an unknown role is a member of nothing: memberOf decides, the matcher adds no "itself"', () => {
    const rules = rulesOf('host samerole +ghost all trust\nhost all all all reject');
    const none = { ...facts, memberOf: () => false };
    expect(matchConnection(rules, host('ghost', 'ghost', '1.1.1.1'), none)).toMatchObject({ line: 2 });
    expect(matchConnection(rules, host('ghost', 'ghost', '1.1.1.1'), facts)).toMatchObject({ line: 1 });
  });

  it('hostgssenc matches a GSS-encrypted connection, hostnogssenc does not', () => {
    const rules = rulesOf('hostnogssenc all all all reject\nhostgssenc all all all gss');
    expect(
      matchConnection(
        rules,
        { source: { kind: 'host', address: '1.1.1.1', ssl: false, gss: true }, database: 'd', user: 'x' },
        facts,
      ),
    ).toMatchObject({ line: 2, method: 'gss' });
  });

  it('a superuser is not a member of a group for +group', () => {
    // memberOf, as read from pg_auth_members, knows nothing of superuser: the matcher adds nothing.
    const rules = rulesOf('host all +admins all trust\nhost all all all reject');
    expect(matchConnection(rules, host('postgres', 'd', '1.1.1.1'), facts)).toMatchObject({ line: 2 });
  });

  it('a logical walsender matches like a normal connection, never the replication keyword', () => {
    const rules = rulesOf('host replication all all reject\nhost d all all trust');
    expect(matchConnection(rules, { ...host('x', 'd', '1.1.1.1'), replication: 'logical' }, facts)).toMatchObject({
      line: 2,
    });
  });

  it.each([
    ['localhost', '127.0.0.1', 1],
    ['LOCALHOST', '127.0.0.1', 1],
    ['.localhost', '127.0.0.1', 2], // the suffix includes the dot
    ['.example.com', '10.0.0.5', 1],
    ['vm', '127.0.0.1', 2], // only the reverse name counts, not other names of the address
    ['db.example.com', '10.0.0.6', 2], // forward lookup does not give the client's address back
    ['localhost', '127.0.0.2', 2], // no reverse name
  ])('host name %s from %s → line %i', (name, address, line) => {
    const names: Record<string, string> = {
      '127.0.0.1': 'localhost',
      '10.0.0.5': 'db.example.com',
      '10.0.0.6': 'db.example.com',
    };
    const addresses: Record<string, string[]> = { localhost: ['127.0.0.1', '::1'], 'db.example.com': ['10.0.0.5'] };
    const resolver = { reverse: (a: string) => names[a], forward: (n: string) => addresses[n] ?? [] };
    const rules = rulesOf(`host all all ${name} trust\nhost all all all reject`);
    expect(matchConnection(rules, host('x', 'd', address), { ...facts, resolver })).toMatchObject({ line });
  });

  it('answers none when nothing matches, and undecided when a host name needs DNS', () => {
    expect(matchConnection(rulesOf('local all all peer'), host('x', 'd', '1.1.1.1'), facts)).toEqual({ kind: 'none' });
    expect(matchConnection(rulesOf('host all all db.example.com md5'), host('x', 'd', '1.1.1.1'), facts)).toMatchObject(
      { kind: 'undecided', line: 1 },
    );
  });

  it('passes over an undecidable address when the database or user does not fit; says why it is undecided', () => {
    const rules = rulesOf('host all alice samehost reject\nhost shop all samenet trust\nhost all all all md5');
    const away = { memberOf: facts.memberOf, interfacesUnknown: 'not on the host' };
    expect(matchConnection(rules, host('bob', 'postgres', '127.0.0.5'), away)).toMatchObject({
      kind: 'match',
      line: 3,
    });
    expect(matchConnection(rules, host('alice', 'd', '127.0.0.5'), away)).toEqual({
      kind: 'undecided',
      file: expect.any(String),
      line: 1,
      reason: '"samehost" needs the server\'s interface addresses: not on the host',
    });
  });

  it('a physical walsender matches only the replication keyword', () => {
    const rules = rulesOf('host all all all trust\nhost replication all all md5');
    expect(matchConnection(rules, { ...host('x', 'd', '1.1.1.1'), replication: 'physical' }, facts)).toMatchObject({
      line: 2,
    });
  });
});

describe('expectedChallenge', () => {
  it.each([
    ['trust', 'none', 'ok'],
    ['md5', 'md5', 'md5'],
    ['md5', 'scram-sha-256', 'sasl'],
    ['md5', 'none', 'sasl'],
    ['scram-sha-256', 'md5', 'sasl'],
    ['password', 'none', 'password'],
    ['reject', 'none', 'reject'],
    ['peer', 'none', 'fails'],
  ] as const)('%s with a %s password → %s', (method, stored, answer) => {
    expect(expectedChallenge(method, stored)).toBe(answer);
  });

  it('md5 with no stored password follows password_encryption; peer needs the OS user', () => {
    expect(expectedChallenge('md5', 'none', { passwordEncryption: 'md5' })).toBe('md5');
    expect(expectedChallenge('peer', 'none', { peerAccepted: true })).toBe('ok');
    expect(expectedChallenge('ident', 'none', { peerAccepted: true })).toBe('fails');
  });
});
