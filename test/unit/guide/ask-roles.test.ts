import { describe, expect, it } from 'vitest';
import { askRoles, handRoleDatabases } from '../../../src/guide/ask-roles.js';
import type { Prompter } from '../../../src/guide/questions.js';
import type { Snapshot } from '../../../src/index.js';

/** A prompter answering from a list, recording each question. */
function scripted(answers: unknown[]) {
  const asked: string[] = [];
  const ask = async (c: { message: string }) => {
    asked.push(c.message);
    return answers.shift();
  };
  return { p: { input: ask, select: ask, checkbox: ask, confirm: ask } as unknown as Prompter, asked };
}

describe('roles added by hand', () => {
  it('with no consumer connected, offers a role by hand first, and says when the evidence cannot be read', async () => {
    const lines: string[] = [];
    const o = { out: (l: string) => lines.push(l), err: () => undefined, color: false } as never;
    const snapshot = { roles: [{ name: 'postgres' }], clients: [], connectedAs: 'postgres' } as unknown as Snapshot;
    const { p, asked } = scripted([true, 'billing', 'billing_app', 'app-readwrite', 'shop', false]);
    // Nothing listens on port 1: the evidence cannot be read, and the guide goes on without it.
    const r = await askRoles(p, o, snapshot, { dsn: 'host=127.0.0.1 port=1 user=postgres connect_timeout=2' });
    expect(r).toEqual({
      roles: [{ name: 'billing_app', template: 'app-readwrite', databases: ['shop'], readOnlyTables: [] }],
      seen: [],
    });
    expect(asked).toEqual([
      'No connected consumer was given a role. Add a role by hand (for a consumer not connected now)?',
      "Which login role does this role's consumer connect as today? (what it ran is the evidence for its tables)",
      'Role name',
      'Template',
      'Databases billing_app may use (space-separated)',
      'Add another role by hand (for a consumer not connected now)?',
    ]);
    expect(lines.join('\n')).toMatch(
      /^No evidence about billing_app's tables: Cannot connect to PostgreSQL .*Every table stays writable/,
    );
  });

  it("offers the server's one application database, else the previous role's, else none (never every database)", () => {
    const role = (databases: string[]) => ({ name: 'a_app', template: 'readonly', databases, readOnlyTables: [] });
    expect(handRoleDatabases(['postgres', 'shop', 'template1'], [])).toBe('shop');
    expect(handRoleDatabases(['postgres', 'shop', 'crm'], [role(['crm'])])).toBe('crm');
    expect(handRoleDatabases(['postgres', 'shop', 'crm'], [])).toBe('');
    expect(handRoleDatabases(['postgres', 'template1'], [])).toBe('postgres');
  });
});
