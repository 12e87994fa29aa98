/**
 * Stage `canary`: one scram-sha-256 rule per new role and trusted range above the trust rules,
 * validated, reloaded, then proven by probes (no password is refused, the generated one works).
 */
import type { PlanInput } from './input.js';
import { canaryNeeds } from './delta.js';
import { hbaStep, lines, probeSource, reloadStep, sampleAddress, type HbaEdits } from './stage-network.js';
import type { Step } from './plan-types.js';

export function canarySteps(input: PlanInput, edits: HbaEdits, reloadAnyway: boolean): Step[] {
  const from = probeSource(input);
  const needs = canaryNeeds(input);
  const count = needs.reduce((n, r) => n + r.ranges.length, 0);
  const steps: Step[] = [];
  if (edits.canaryText !== edits.originalText)
    steps.push(
      hbaStep(
        input,
        'canary/hba',
        'canary',
        `Add one scram-sha-256 rule per ${needs.some((r) => r.existing) ? 'role and trusted range not yet asked for a password' : 'new role and trusted range'} above the existing rules of ${input.hba.file} (${lines(count)}); validated with pg_hba_file_rules before the reload`,
        edits.canaryText,
        null,
      ),
    );
  if (steps.length || reloadAnyway)
    steps.push(
      reloadStep(
        'canary/reload',
        'canary',
        `Reload the configuration so the canary rules${input.snapshot.settings.password_encryption === 'scram-sha-256' ? '' : ' and password_encryption'} take effect`,
        [],
      ),
    );
  for (const r of needs) {
    const database = r.databases[0]!;
    const probeFrom = r.ranges.includes(from.range!)
      ? from
      : { address: sampleAddress(r.ranges[0]!), range: r.ranges[0]! };
    steps.push({
      id: `canary/probe-${r.name}`,
      stage: 'canary',
      kind: 'probe',
      description: r.existing
        ? `Prove the server asks ${r.name} (which exists; its password is not pgharden's to know) for a scram-sha-256 password from ${probeFrom.address}`
        : `Prove ${r.name}'s password under scram-sha-256 from ${probeFrom.address}: without a password the server asks for one; with it, the login works`,
      forward: {
        do: 'probe',
        checks: [
          { check: 'auth', user: r.name, database, from: probeFrom, expect: 'password-required' },
          ...(r.existing
            ? []
            : [{ check: 'login' as const, role: r.name, database, from: probeFrom, expect: 'ok' as const }]),
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
