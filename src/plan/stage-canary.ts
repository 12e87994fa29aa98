/**
 * Stage `canary`: one scram-sha-256 rule per new role and trusted range above the trust rules,
 * validated, reloaded, then proven by probes (no password is refused, the generated one works).
 */
import type { PlanInput } from './input.js';
import { hbaStep, lines, probeSource, reloadStep, type HbaEdits } from './stage-network.js';
import type { Step } from './types.js';

export function canarySteps(input: PlanInput, edits: HbaEdits): Step[] {
  const from = probeSource(input);
  const steps: Step[] = [
    hbaStep(
      input,
      'canary/hba',
      'canary',
      `Add one scram-sha-256 rule per new role and trusted range above the existing rules of ${input.hba.file} (${lines(input.spec.roles.length * input.spec.network.trustedRanges.length)}); validated with pg_hba_file_rules before the reload`,
      edits.canaryText,
      null,
    ),
    reloadStep(
      'canary/reload',
      'canary',
      `Reload the configuration so the canary rules${input.snapshot.settings.password_encryption === 'scram-sha-256' ? '' : ' and password_encryption'} take effect`,
      [],
    ),
  ];
  for (const r of input.spec.roles) {
    const database = r.databases[0]!;
    steps.push({
      id: `canary/probe-${r.name}`,
      stage: 'canary',
      kind: 'probe',
      description: `Prove ${r.name}'s password under scram-sha-256 from ${from.address}: without a password the server asks for one; with it, the login works`,
      forward: {
        do: 'probe',
        checks: [
          { check: 'auth', user: r.name, database, from, expect: 'password-required' },
          { check: 'login', role: r.name, database, from, expect: 'ok' },
        ],
      },
      verify: [],
      undo: null,
      before: [{ of: 'none' }],
      after: [{ of: 'none' }],
      transactional: false,
      restartRequired: false,
    });
  }
  return steps;
}
