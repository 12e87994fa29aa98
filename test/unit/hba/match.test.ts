import { describe, expect, it } from 'vitest';
import { defaultContext } from '../../../src/conf/context.js';
import { parseHba } from '../../../src/conf/hba.js';
import { expectedChallenge, matchConnection, type Connection } from '../../../src/hba/match.js';

const ctx = defaultContext({ major: 16 });
const rulesOf = (text: string) =>
  parseHba(text, { file: '/f', context: ctx }).flatMap((l) => (l.kind === 'record' ? [{ rule: l.rule, file: '/f', line: l.line }] : []));
const groups: Record<string, string[]> = { alice: ['admins'], bob: ['ops'] };
const facts = { memberOf: (u: string, g: string) => u === g || (groups[u] ?? []).includes(g), interfaces: [{ address: '127.0.0.1', netmask: '255.0.0.0' }] };
const host = (user: string, database: string, address: string, ssl = false): Connection => ({ source: { kind: 'host', address, ssl }, database, user });
const local = (user: string, database: string): Connection => ({ source: { kind: 'local' }, database, user });

describe('matchConnection', () => {
  it.each([
    ['first match wins', 'host all all 10.0.0.0/8 reject\nhost all all 0.0.0.0/0 trust', host('x', 'd', '10.1.1.1'), 1],
    ['address outside the range', 'host all all 10.0.0.0/8 reject\nhost all all 0.0.0.0/0 trust', host('x', 'd', '11.1.1.1'), 2],
    ['local rules skip TCP', 'local all all trust\nhost all all all md5', host('x', 'd', '1.2.3.4'), 2],
    ['host rules skip the socket', 'host all all all md5\nlocal all all peer', local('x', 'd'), 2],
    ['hostssl needs ssl', 'hostssl all all all cert\nhost all all all md5', host('x', 'd', '1.2.3.4'), 2],
    ['hostnossl skips ssl', 'hostnossl all all all reject\nhost all all all md5', host('x', 'd', '1.2.3.4', true), 2],
    ['+group through membership', 'host all +admins all trust\nhost all all all reject', host('alice', 'd', '1.1.1.1'), 1],
    ['quoted +group is a name', 'host all "+admins" all trust\nhost all all all reject', host('alice', 'd', '1.1.1.1'), 2],
    ['sameuser', 'host sameuser all all trust\nhost all all all reject', host('bob', 'bob', '1.1.1.1'), 1],
    ['samerole', 'host samerole all all trust\nhost all all all reject', host('bob', 'ops', '1.1.1.1'), 1],
    ['quoted "all" is a database named all', 'host "all" all all trust\nhost all all all reject', host('x', 'd', '1.1.1.1'), 2],
    ['replication does not match a normal connection', 'host replication all all trust\nhost all all all reject', host('x', 'd', '1.1.1.1'), 2],
    ['regex user', 'host all /^ad all trust\nhost all all all reject', host('adam', 'd', '1.1.1.1'), 1],
    ['IPv4 rule matches an IPv4-mapped client', 'host all all 10.0.0.0/8 trust', host('x', 'd', '::ffff:10.0.0.1'), 1],
    ['samehost is the exact interface address', 'host all all samehost trust\nhost all all all reject', host('x', 'd', '127.0.0.2'), 2],
    ['samenet is its network', 'host all all samenet trust\nhost all all all reject', host('x', 'd', '127.0.0.2'), 1],
  ])('%s', (_, text, conn, line) => {
    const m = matchConnection(rulesOf(text), conn, facts);
    expect(m.kind === 'match' ? m.line : m.kind).toBe(line);
  });

  it('answers none when nothing matches, and undecided when a host name needs DNS', () => {
    expect(matchConnection(rulesOf('local all all peer'), host('x', 'd', '1.1.1.1'), facts)).toEqual({ kind: 'none' });
    expect(matchConnection(rulesOf('host all all db.example.com md5'), host('x', 'd', '1.1.1.1'), facts)).toMatchObject({ kind: 'undecided', line: 1 });
  });

  it('a physical walsender matches only the replication keyword', () => {
    const rules = rulesOf('host all all all trust\nhost replication all all md5');
    expect(matchConnection(rules, { ...host('x', 'd', '1.1.1.1'), replication: 'physical' }, facts)).toMatchObject({ line: 2 });
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
});
