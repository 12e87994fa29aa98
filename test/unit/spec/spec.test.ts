import { describe, expect, it } from 'vitest';
import { parseSpec, SpecError } from '../../../src/spec/spec.js';

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
    expect(spec.roles[0]).toEqual({ name: 'agents_app', template: 'app-readwrite', databases: ['workspace'], schema: 'public', readOnlyTables: ['agents_kill_switch'] });
    expect(spec.consumers[0]?.reload).toEqual(['systemctl', 'reload', 'agents']);
  });

  it('reads the same spec as JSON', () => {
    const json = JSON.stringify({ target: {}, network: { trustedRanges: ['10.8.0.0/24'] }, roles: [{ name: 'a', template: 'readonly', databases: ['d'] }] });
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
    let error: SpecError | undefined;
    try {
      parseSpec(bad, 'harden.yaml');
    } catch (err) {
      error = err as SpecError;
    }
    expect(error).toBeInstanceOf(SpecError);
    expect(error!.problems).toEqual(expect.arrayContaining([
      'network.trustedRanges[0]: must be an address range in CIDR form, e.g. 10.8.0.0/24',
      'network.trustedRanges[1]: must be an address range in CIDR form, e.g. 10.8.0.0/24',
      expect.stringMatching(/^network\.superuser: /),
      '(top level): unknown key "rolez"',
      expect.stringMatching(/^roles\[0\]\.template: /),
      expect.stringMatching(/^roles\[0\]\.databases: /),
      expect.stringMatching(/^consumers\[0\]\.reload: needs the program/),
    ]));
    expect(error!.message).toMatch(/^harden\.yaml has \d+ problems:\n {2}- /);
  });

  it('checks that consumers move to roles the spec defines, and names are unique', () => {
    const spec = GOOD.replace('role: agents_app', 'role: ghost') + '  - name: agents_app\n    template: readonly\n    databases: [x]\n';
    expect(() => parseSpec(spec.replace('consumers:', 'roles_extra: 1\nconsumers:'), 'h.yaml')).toThrow('unknown key "roles_extra"');
    expect(() => parseSpec(GOOD.replace('role: agents_app', 'role: ghost'), 'h.yaml')).toThrow('consumers[0].role: "ghost" is not one of the spec\'s roles (agents_app)');
  });

  it('reports YAML syntax errors with their position', () => {
    expect(() => parseSpec('roles: [\n', 'h.yaml')).toThrow(/h\.yaml has 1 problem:\n {2}- not valid YAML: /);
  });
});

describe('spec problems name their line', () => {
  it.each([
    ['harden.yaml', 'target: {}\nnetwork:\n  trustedRanges: [10.8.0.0/33]\nroles:\n  - name: app\n    template: readonly\n    databases: [d]\n    colour: red\n'],
    ['harden.json', '{\n "target": {},\n "network": {\n  "trustedRanges": ["10.8.0.0/33"]\n },\n "roles": [\n  {"name": "app", "template": "readonly", "databases": ["d"],\n   "colour": "red"}\n ]\n}\n'],
  ])('in %s', (file, text) => {
    const err = (() => { try { parseSpec(text, file); } catch (e) { return e as SpecError; } })()!;
    expect(err.message).toContain(`${file}:${file.endsWith('json') ? 4 : 3}: network.trustedRanges[0]: must be an address range in CIDR form`);
    expect(err.message).toContain(`${file}:8: roles[0]: unknown key "colour"`);
  });

  it('points a missing key at its parent', () => {
    const err = (() => { try { parseSpec('target: {}\nnetwork:\n  superuser: local-only\nroles: []\n', 'h.yaml'); } catch (e) { return e as SpecError; } })()!;
    expect(err.message).toMatch(/h\.yaml:3: network\.trustedRanges: /);
  });
});
