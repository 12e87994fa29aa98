import { describe, expect, it } from 'vitest';
import { parseSpec, SpecError } from '../../../src/spec/spec.js';
import { caught, thrownOrNull } from '../../support/caught.js';

const GOOD = `
target:
  dsn: postgres:///postgres?host=/var/run/postgresql
network:
  trustedRanges: [10.8.0.0/24]
roles:
  - name: agents_app
    template: app-readwrite
    databases: [workspace]
    readOnlyTables: [agents_kill_switch]
consumers:
  - name: agents
    file: /srv/agents/.env
    key: DATABASE_URL
    role: agents_app
    reload: [systemctl, reload, agents]
`;

describe('parseSpec', () => {
  it('reads a YAML spec and fills defaults', () => {
    const spec = parseSpec(GOOD, 'harden.yaml');
    expect(spec.network.superuser).toBe('local-only');
    expect(spec.roles[0]).toEqual({
      name: 'agents_app',
      template: 'app-readwrite',
      databases: ['workspace'],
      schema: 'public',
      readOnlyTables: ['agents_kill_switch'],
    });
    expect(spec.consumers[0]?.reload).toEqual(['systemctl', 'reload', 'agents']);
  });

  it('reads the same spec as JSON', () => {
    const json = JSON.stringify({
      target: {},
      network: { trustedRanges: ['10.8.0.0/24'] },
      roles: [{ name: 'a', template: 'readonly', databases: ['d'] }],
    });
    expect(parseSpec(json, 'harden.json').roles[0]?.name).toBe('a');
  });

  it('lists every problem and unknown key in one error, with paths', () => {
    const bad = `
target: {}
network:
  trustedRanges: [10.8.0.0/33, everywhere]
  superuser: sometimes
rolez: []
roles:
  - name: app
    databases: []
consumers:
  - name: web
    file: .env
    role: ghost
    reload: []
`;
    const error = caught<SpecError>(() => parseSpec(bad, 'harden.yaml'));
    expect(error).toBeInstanceOf(SpecError);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'network.trustedRanges[0]: must be an address range in CIDR form, e.g. 10.8.0.0/24',
        'network.trustedRanges[1]: must be an address range in CIDR form, e.g. 10.8.0.0/24',
        expect.stringMatching(/^network\.superuser: /),
        '(top level): unknown key "rolez" (did you mean "roles"?)',
        expect.stringMatching(/^roles\[0\]\.template: /),
        expect.stringMatching(/^roles\[0\]\.databases: /),
        expect.stringMatching(/^consumers\[0\]\.reload: needs the program/),
      ]),
    );
    expect(error!.message).toMatch(/^harden\.yaml has \d+ problems:\n {2}- /);
  });

  it('checks that consumers move to roles the spec defines, and names are unique', () => {
    const spec =
      GOOD.replace('role: agents_app', 'role: ghost') +
      '  - name: agents_app\n    template: readonly\n    databases: [x]\n';
    expect(() => parseSpec(spec.replace('consumers:', 'roles_extra: 1\nconsumers:'), 'h.yaml')).toThrow(
      'unknown key "roles_extra"',
    );
    expect(() => parseSpec(GOOD.replace('role: agents_app', 'role: ghost'), 'h.yaml')).toThrow(
      'consumers[0].role: "ghost" is not one of the spec\'s roles (agents_app)',
    );
  });

  it('reports YAML syntax errors with their position', () => {
    expect(() => parseSpec('roles: [\n', 'h.yaml')).toThrow(
      /h\.yaml has 1 problem:\n {2}- h\.yaml:2: not valid YAML \(column 1\): Flow sequence [^\n]*\n {6}roles: \[\n {6}\^$/,
    );
  });
});

describe('spec problems name their line', () => {
  it.each([
    [
      'harden.yaml',
      'target: {}\nnetwork:\n  trustedRanges: [10.8.0.0/33]\nroles:\n  - name: app\n    template: readonly\n    databases: [d]\n    colour: red\n',
    ],
    [
      'harden.json',
      '{\n "target": {},\n "network": {\n  "trustedRanges": ["10.8.0.0/33"]\n },\n "roles": [\n  {"name": "app", "template": "readonly", "databases": ["d"],\n   "colour": "red"}\n ]\n}\n',
    ],
  ])('in %s', (file, text) => {
    const err = caught<SpecError>(() => parseSpec(text, file));
    expect(err.message).toContain(
      `${file}:${file.endsWith('json') ? 4 : 3}: network.trustedRanges[0]: must be an address range in CIDR form`,
    );
    expect(err.message).toContain(`${file}:8: roles[0]: unknown key "colour"`);
  });

  it('points a missing key at its parent', () => {
    const err = caught<SpecError>(() =>
      parseSpec('target: {}\nnetwork:\n  superuser: local-only\nroles: []\n', 'h.yaml'),
    );
    expect(err.message).toMatch(/h\.yaml:3: network\.trustedRanges: /);
  });
});

describe('names as PostgreSQL and pg_hba.conf can hold them', () => {
  const spec = (role: string, extra = '') =>
    `target: {}\nnetwork:\n  trustedRanges: [10.8.0.0/24]${extra}\nroles:\n  - name: ${JSON.stringify(role)}\n    template: readonly\n    databases: [d]\n`;
  const problemsOf = (text: string) =>
    thrownOrNull<SpecError>(() => parseSpec(text, 'h.yaml'))
      ?.message.split('\n')
      .slice(1) ?? [];

  it.each([
    ['x\nhost all all 0.0.0.0/0 trust #', 'roles[0].name: cannot contain a newline'],
    ['tab\there', 'roles[0].name: cannot contain a tab'],
    ['cr\rhere', 'roles[0].name: cannot contain a carriage return'],
    ['nul\u0000here', 'roles[0].name: cannot contain a NUL byte'],
    ['é'.repeat(32), `roles[0].name: "${'é'.repeat(32)}" is 64 bytes in UTF-8; PostgreSQL names are at most 63 bytes`],
    ['pg_x', 'roles[0].name: "pg_x": role names starting with "pg_" are reserved'],
    ['public', 'roles[0].name: "public" is a reserved role name'],
    ['none', 'roles[0].name: "none" is a reserved role name'],
    ['current_user', 'roles[0].name: "current_user" is a reserved role name'],
    ['all', 'roles[0].name: "all" is a pg_hba.conf keyword'],
    ['samerole', 'roles[0].name: "samerole" is a pg_hba.conf keyword'],
  ])('refuses role %j with its line', (role, problem) => {
    expect(problemsOf(spec(role)).find((p) => p.includes(problem))).toMatch(/^ {2}- h\.yaml:5: /);
  });

  it('accepts 63 bytes, quotes and spaces (pg_hba.conf quotes them)', () => {
    expect(problemsOf(spec(`${'é'.repeat(31)}x`))).toEqual([]);
    expect(problemsOf(spec('my "odd", app'))).toEqual([]);
  });

  it('lists every name problem at once, databases and schemas too', () => {
    const text =
      'target: {}\nnetwork:\n  trustedRanges: [10.8.0.0/24]\nroles:\n  - name: pg_x\n    template: readonly\n    databases: [all, "a\\nb"]\n    schema: pg_catalog\n  - name: public\n    template: readonly\n    databases: [d]\n';
    expect(problemsOf(text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}- h\.yaml:5: roles\[0\]\.name: "pg_x"/),
        expect.stringMatching(/^ {2}- h\.yaml:7: roles\[0\]\.databases\[0\]: "all" is a pg_hba.conf keyword/),
        expect.stringMatching(/^ {2}- h\.yaml:7: roles\[0\]\.databases\[1\]: cannot contain a newline/),
        expect.stringMatching(/^ {2}- h\.yaml:8: roles\[0\]\.schema: "pg_catalog": schema names starting with "pg_"/),
        expect.stringMatching(/^ {2}- h\.yaml:9: roles\[1\]\.name: "public" is a reserved role name/),
      ]),
    );
  });

  it('refuses a control character in any value, not only names', () => {
    expect(problemsOf(spec('app', '\n  listenAddresses: "127.0.0.1\\nlisten_addresses = \'*\'"'))).toEqual([
      expect.stringMatching(/^ {2}- h\.yaml:4: network\.listenAddresses: cannot contain a newline/),
    ]);
  });
});

describe('trusted ranges', () => {
  const spec = (ranges: string, extra = '') =>
    `target: {}\nnetwork:\n  trustedRanges: ${ranges}${extra}\nroles:\n  - {name: app, template: readonly, databases: [d]}\n`;
  const problemsOf = (text: string) => thrownOrNull<SpecError>(() => parseSpec(text, 'h.yaml'))?.problems ?? [];

  it('refuses "anywhere" unless the spec says so', () => {
    expect(problemsOf(spec('[10.0.0.0/8, 0.0.0.0/0, "::/0"]'))).toEqual([
      expect.stringMatching(
        /^network\.trustedRanges\[1\]: "0\.0\.0\.0\/0" is every address, not a trusted range; .*network\.allowAnywhere: true/,
      ),
      expect.stringMatching(/^network\.trustedRanges\[2\]: "::\/0" is every address/),
    ]);
    expect(problemsOf(spec('[0.0.0.0/0]', '\n  allowAnywhere: true'))).toEqual([]);
  });

  it('refuses an IPv6 zone', () => {
    expect(problemsOf(spec('["fe80::1%eth0/64"]'))).toEqual([
      expect.stringMatching(/^network\.trustedRanges\[0\]: an IPv6 zone/),
    ]);
  });
});
