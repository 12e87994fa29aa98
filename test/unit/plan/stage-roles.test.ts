/**
 * The undo of a role's grants names the role by its exact text: looked up in pg_roles as a string,
 * quoted as an identifier, never cast with ::regrole; the DO body's dollar tag never occurs in it.
 */
import { describe, expect, it } from 'vitest';
import { dollarQuoted, revokeAll } from '../../../src/plan/stage-roles.js';

describe('revokeAll', () => {
  it.each([
    ['AppUser', `rolname = 'AppUser'`, 'DROP OWNED BY "AppUser"'],
    [`o'brien "x"`, `rolname = 'o''brien "x"'`, 'DROP OWNED BY "o\'brien ""x"""'],
    ['/^.*$', `rolname = '/^.*$'`, 'DROP OWNED BY "/^.*$"'],
  ])('finds %s by its exact name', (role, lookup, drop) => {
    const [guard, dropOwned] = revokeAll(role);
    expect(guard).toContain(`(SELECT oid FROM pg_roles WHERE ${lookup})`);
    expect(guard).not.toMatch(/regrole/);
    expect(dropOwned).toBe(drop);
  });

  it('picks a dollar tag the body does not hold', () => {
    expect(dollarQuoted('SELECT 1')).toBe('$pgharden$SELECT 1$pgharden$');
    expect(dollarQuoted('x $pgharden$ y')).toBe('$pgharden1$x $pgharden$ y$pgharden1$');
    expect(revokeAll('a$pgharden$b')[0]).toMatch(/^DO \$pgharden1\$BEGIN .*END\$pgharden1\$$/);
  });
});
