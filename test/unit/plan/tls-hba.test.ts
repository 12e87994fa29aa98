import { describe, expect, it } from 'vitest';
import { defaultContext } from '../../../src/conf/context.js';
import { parseHba } from '../../../src/conf/hba.js';
import { requireTls } from '../../../src/plan/tls-hba.js';

const parse = (text: string) => parseHba(text, { file: '/x/pg_hba.conf', context: defaultContext({ ssl: true }) });

const HARDENED = `# TYPE  DATABASE        USER            ADDRESS                 METHOD
host    all             postgres        0.0.0.0/0               reject  # pgharden: superusers are local-only
local   all             postgres                                peer
host    all             all             127.0.0.1/32            scram-sha-256  # pgharden: was trust
host    all             all             127.10.0.0/16           scram-sha-256
host    all             all             10.1.0.0 255.255.0.0    scram-sha-256
`;

describe('requireTls', () => {
  it('turns admitting host rules into hostssl with hostnossl rejects above them; reject and local rules stay', () => {
    const r = requireTls(parse(HARDENED), ['127.10.0.0/16']);
    expect(r.text).toBe(`# TYPE  DATABASE        USER            ADDRESS                 METHOD
host    all             postgres        0.0.0.0/0               reject  # pgharden: superusers are local-only
local   all             postgres                                peer
hostnossl all             all             127.10.0.0/16           reject  # pgharden: plain TCP refused
hostnossl all             all             127.0.0.1/32            reject  # pgharden: plain TCP refused
hostnossl all             all             10.1.0.0 255.255.0.0    reject  # pgharden: plain TCP refused
hostssl all             all             127.0.0.1/32            scram-sha-256  # pgharden: was trust
hostssl all             all             127.10.0.0/16           scram-sha-256  # pgharden: was host; TLS required
hostssl all             all             10.1.0.0 255.255.0.0    scram-sha-256  # pgharden: was host; TLS required
`);
    expect(r.changed).toBe(6);
    expect(parse(r.text).filter((l) => l.kind === 'error')).toEqual([]);
  });

  it('changes nothing in a file that already requires TLS (a second run)', () => {
    const once = requireTls(parse(HARDENED), ['127.10.0.0/16']).text;
    expect(requireTls(parse(once), ['127.10.0.0/16'])).toEqual({ text: once, changed: 0 });
  });

  it('keeps CRLF line ends', () => {
    const r = requireTls(parse('host all all 10.0.0.0/8 scram-sha-256\r\n'), ['10.0.0.0/8']);
    expect(r.text).toBe(
      'hostnossl all             all             10.0.0.0/8              reject  # pgharden: plain TCP refused\r\nhostssl all all 10.0.0.0/8 scram-sha-256  # pgharden: was host; TLS required\r\n',
    );
  });
});
