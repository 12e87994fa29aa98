import { describe, expect, it } from 'vitest';
import type { PlanInput } from '../../../src/plan/input.js';
import { buildPlan } from '../../../src/plan/planner.js';
import { storyInput, storySpec } from './fixtures.js';

const CONF = '/etc/postgresql/15/main/postgresql.conf';
const SECRETS = '/etc/postgresql/15/main/conf.d/pgharden-secrets.conf';

/** The story cluster in Debian's layout, postgresql.conf 0644 with primary_conninfo holding a password. */
async function debianInput(configFileMode: PlanInput['spec']['configFileMode'], split = true): Promise<PlanInput> {
  const input = await storyInput();
  return {
    ...input,
    spec: { ...storySpec(), configFileMode },
    configFile: { path: CONF, sha256: 'b'.repeat(64), mode: 0o644, uid: 999, gid: 999 },
    configFacts: {
      debianLayout: true,
      secretSettings: [`primary_conninfo at ${CONF}:12`],
      restartCommand: 'pg_ctlcluster 15 main restart',
      ...(split
        ? {
            split: {
              file: { path: SECRETS, sha256: null, mode: null, uid: null, gid: null },
              names: ['primary_conninfo'],
              keptSha256: 'e'.repeat(64),
              movedSha256: 'f'.repeat(64),
            },
          }
        : {}),
    },
  };
}

describe("postgresql.conf in Debian's layout", () => {
  it('auto: moves the password-holding settings to a 0600 file in conf.d and never chmods postgresql.conf', async () => {
    const plan = buildPlan(await debianInput('auto'));
    const flip = plan.steps.filter((s) => s.stage === 'flip').map((s) => s.id);
    expect(flip).toEqual(['flip/hba', 'flip/conf-secrets-file', 'flip/conf-secrets-out', 'flip/reload']);
    const [file, out] = ['flip/conf-secrets-file', 'flip/conf-secrets-out'].map(
      (id) => plan.steps.find((s) => s.id === id)!,
    );
    expect(file!.forward).toEqual({
      do: 'copy-settings',
      from: CONF,
      to: SECRETS,
      names: ['primary_conninfo'],
      mode: 0o600,
      uid: 999,
      gid: 999,
    });
    expect(file!.undo).toEqual({ do: 'remove-file', path: SECRETS });
    expect(file!.after).toEqual([
      { of: 'file', path: SECRETS, sha256: 'f'.repeat(64), mode: 0o600, uid: 999, gid: 999 },
    ]);
    expect(out!.forward).toEqual({
      do: 'comment-settings',
      path: CONF,
      names: ['primary_conninfo'],
      to: 'conf.d/pgharden-secrets.conf',
    });
    expect(out!.undo).toMatchObject({ do: 'restore-file', path: CONF });
    expect(out!.after).toEqual([{ of: 'file', path: CONF, sha256: 'e'.repeat(64), mode: 0o644, uid: 999, gid: 999 }]);
    // Bound as absent (drift if someone makes it), and the shell rollback removes it.
    expect(plan.binding.files.find((f) => f.path === SECRETS)).toMatchObject({ sha256: null });
    expect(plan.rollback.shell).toContain(`rm -f '${SECRETS}'`);
    const notice = plan.notices.find((n) => n.startsWith(CONF))!;
    expect(notice).toContain("keeps mode 0644, so other OS users' psql, pg_dump and pg_lsclusters");
    expect(notice).toContain(`move to ${SECRETS} (mode 0600, owned by postgres)`);
  });

  it.each([
    ['0600', true, 0o600],
    ['auto', false, 0o600],
    ['0640', true, 0o640],
  ] as const)('%s (split possible: %s) closes it to %o and says who breaks', async (mode, split, expected) => {
    const plan = buildPlan(await debianInput(mode, split));
    expect(plan.steps.some((s) => s.forward.do === 'copy-settings')).toBe(false);
    expect(plan.steps.find((s) => s.id === 'flip/mode-postgresql.conf')!.forward).toEqual({
      do: 'chmod',
      path: CONF,
      mode: expected,
    });
    expect(plan.notices.find((n) => n.startsWith(CONF))).toContain(
      'will fail with "Error: Invalid data directory for cluster 15 main"',
    );
  });

  it('auto with no password in it: nothing moves and it stays readable', async () => {
    const input = await debianInput('auto', false);
    input.configFacts.secretSettings = [];
    const plan = buildPlan(input);
    expect(plan.steps.filter((s) => s.stage === 'flip').map((s) => s.id)).toEqual(['flip/hba', 'flip/reload']);
    expect(plan.notices.find((n) => n.startsWith(CONF))).toContain('keeps mode 0644');
  });
});
