import { describe, expect, it } from 'vitest';
import { STORY_HBA } from '../../../src/scratch/story.js';
import { parseHba } from '../../../src/conf/hba.js';
import { consumerLockouts } from '../../../src/plan/consumer-lockout.js';
import { siteEndpoints } from '../../../src/plan/consumer-route.js';
import { findSites } from '../../../src/consumers/edit.js';
import { context, HBA, storyInput } from './fixtures.js';

const finalHba = `local all postgres peer
local all all scram-sha-256
host all postgres 0.0.0.0/0 reject
host all all 127.0.0.1/32 scram-sha-256
host all all 127.10.0.0/16 scram-sha-256
host all agents_app 127.30.0.0/16 reject
`;

describe('consumer lockouts: each path against the final rules', () => {
  it('names the consumer, the address, the rule it would hit and the fix', async () => {
    const input = await storyInput();
    input.consumers[0]!.paths = [
      { from: '127.0.0.1', via: 'its DSN host 127.0.0.1:5432' },
      { from: '127.10.0.7', via: 'its live session pid 1' },
      { from: 'local', via: "its DSN's socket /run/postgresql" },
      { from: '127.20.0.5', via: 'its live session pid 2' },
      { from: '127.30.0.9', via: 'its live session pid 3' },
    ];
    expect(consumerLockouts(input, parseHba(finalHba, { file: HBA, context }))).toEqual([
      `consumer "agents" would be cut off after the flip: its live session pid 2 reaches the server from 127.20.0.5, where agents_app to database workspace gets no pg_hba.conf entry in ${HBA}; add the range (e.g. 127.20.0.5/32) to network.trustedRanges, or change the DSN so the consumer connects from a trusted range`,
      `consumer "agents" would be cut off after the flip: its live session pid 3 reaches the server from 127.30.0.9, where agents_app to database workspace gets ${HBA} line 6 (reject); add the range (e.g. 127.30.0.9/32) to network.trustedRanges, or change the DSN so the consumer connects from a trusted range`,
    ]);
    // Without "application" or "clientAddress", any session of the old user counts, and the message says how to tell them apart.
    delete input.spec.consumers[0]!.application;
    expect(consumerLockouts(input, parseHba(finalHba, { file: HBA, context }))[0]).toContain(
      'its live session pid 2 (a session of postgres: if it is not this consumer\'s, set its "application" or "clientAddress" in the spec) reaches the server from 127.20.0.5',
    );
    input.consumers[0]!.paths = input.consumers[0]!.paths!.slice(0, 3);
    expect(consumerLockouts(input, parseHba(STORY_HBA, { file: HBA, context }))).toEqual([]);
  });
});

describe('siteEndpoints: the hosts and port a connection string names', () => {
  const of = (file: string, text: string) => siteEndpoints(findSites(file, text)[0]!);
  it.each([
    ['a.env', 'U=postgres://u@db.example:6432/x', { hosts: ['db.example'], port: 6432 }],
    ['a.env', 'U=postgres://u@/x?host=/var/run/postgresql&port=5433', { hosts: ['/var/run/postgresql'], port: 5433 }],
    ['a.env', 'U=postgresql://u@%2Ftmp:5/x', { hosts: ['/tmp'], port: 5 }],
    ['a.env', 'U=postgres://u@[::1]:7/x', { hosts: ['::1'], port: 7 }],
    ['a.env', 'U=postgres://u@/x', { hosts: [undefined], port: undefined }],
    ['a.env', "D='host=/run/pg user=u port=5433'", { hosts: ['/run/pg'], port: 5433 }],
    ['a.env', "D='hostaddr=127.0.0.2 host=x user=u'", { hosts: ['127.0.0.2'], port: undefined }],
    ['.pgpass', '*:5432:db:u:p\n', { hosts: ['*'], port: 5432 }],
    ['pg_service.conf', '[s]\nhost=h\nuser=u\n', { hosts: ['h'], port: undefined }],
  ])('%s %s', (file, text, expected) => {
    expect(of(file, text)).toEqual(expected);
  });
});
