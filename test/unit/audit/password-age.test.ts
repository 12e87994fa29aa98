import { describe, expect, it } from 'vitest';
import { check } from '../../../src/audit/checks/password-age.js';
import type { RoleFacts, Snapshot } from '../../../src/cluster/introspect.js';
import type { PasswordAges } from '../../../src/cluster/password-ages.js';
import { role } from '../../support/snapshot.js';

const snapshot = (roles: RoleFacts[], ages?: Partial<PasswordAges>): Snapshot =>
  ({
    roles,
    ...(ages
      ? {
          passwordAges: {
            now: '2026-12-04T00:00:00.000Z',
            maxAgeDays: 90,
            source: 'the journals of the plans under plans',
            roles: [
              { role: 'agents_app', setAt: '2026-08-01T00:00:00.000Z', plan: 'plans/office-vpn' },
              { role: 'reporting', setAt: '2026-11-30T00:00:00.000Z', plan: 'plans/office-vpn' },
            ],
            ...ages,
          },
        }
      : {}),
  }) as unknown as Snapshot;

describe('password-age', () => {
  it('reports a login role whose password is older than the limit, with when and by which plan', () => {
    const found = check.run(snapshot([role('agents_app'), role('reporting')], {}));
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence[0]).toBe(
      'role "agents_app": password set 2026-08-01T00:00:00.000Z by plans/office-vpn (125.0 days ago; the limit is 90)',
    );
    expect(found[0]!.fix.text).toContain('pgharden plan --spec harden.yaml --rotate agents_app');
  });

  it.each([
    ['no limit in the spec or flag', [role('agents_app')], { maxAgeDays: null }],
    ['a limit the password is within', [role('agents_app')], { maxAgeDays: 200 }],
    ['a role that cannot log in (a retired rotation partner)', [role('agents_app', { login: false })], {}],
    ['a role whose password was taken away', [role('agents_app', { password: 'none' })], {}],
    ['a role that no longer exists', [role('reporting')], {}],
  ] as const)('reports nothing for %s', (_what, roles, ages) => {
    expect(check.run(snapshot([...roles], ages))).toEqual([]);
  });

  it('judges nothing without the facts', () => {
    expect(check.run(snapshot([role('agents_app')]))).toEqual([]);
  });
});
