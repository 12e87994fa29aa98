/**
 * Stage `flip`: the final pg_hba.conf (trust, password and md5 become scram-sha-256, superusers
 * are rejected over the network), the config files' modes, listen_addresses when the spec asks,
 * and the reload proven by probes.
 */
import type { PlanInput } from './input.js';
import { basename } from 'node:path';
import {
  autoConfUndo,
  fileState,
  hardenedMode,
  hbaSha256,
  hbaStep,
  lines,
  reloadStep,
  probeSource,
  type HbaEdits,
} from './stage-network.js';
import type { State, Step } from './plan-types.js';
import { rolesToCreate } from './delta.js';
import { confSecretSteps, keepsConfigReadable } from './stage-conf-secrets.js';
import { step } from './step.js';
import { tlsAuthProbes } from './stage-harden-tls.js';

export function flipSteps(input: PlanInput, edits: HbaEdits, superusers: string[]): Step[] {
  const from = probeSource(input);
  const steps: Step[] = [];
  if (edits.finalText !== edits.canaryText)
    steps.push(
      hbaStep(
        input,
        'flip/hba',
        'flip',
        `Flip ${input.hba.file}: trust, password and md5 over the network become scram-sha-256, wide ranges are narrowed to the trusted ranges, superusers are rejected over the network, local peer is kept for ${input.serverUser.name} (${lines(edits.changes.length)} changed or added)${input.tls ? '; TLS required: rules that admit over TCP become hostssl, with hostnossl reject above them' : ''}`,
        edits.finalText,
        edits.canaryText,
      ),
    );
  const files = [input.configFile, input.hba.binding, ...(input.identFile ? [input.identFile] : [])];
  for (const f of files) {
    if (f === input.configFile && keepsConfigReadable(input)) {
      steps.push(...confSecretSteps(input));
      continue;
    }
    const wanted = f === input.configFile ? input.spec.configFileMode : '0600';
    const hardened = hardenedMode(f, input.serverUser.gid);
    const mode = wanted === 'keep' || hardened === null ? null : wanted === '0640' ? 0o640 : hardened;
    if (mode === null) continue;
    // pg_hba.conf holds the flipped text by now; the others are as bound.
    const content = f.path === input.hba.file ? hbaSha256(input, edits.finalText) : f.sha256;
    steps.push(
      step({
        id: `flip/mode-${basename(f.path)}`,
        stage: 'flip',
        kind: 'file',
        description: `chmod ${mode.toString(8).padStart(4, '0')} ${f.path} (now ${f.mode!.toString(8).padStart(4, '0')}: readable by every account on the host)`,
        forward: { do: 'chmod', path: f.path, mode },
        undo: { do: 'chmod', path: f.path, mode: f.mode! },
        before: [{ ...fileState(f), sha256: content } as State],
        after: [{ ...fileState(f), sha256: content, mode } as State],
      }),
    );
  }
  const listen = input.spec.network.listenAddresses;
  if (listen !== undefined && input.autoConf.settings.listen_addresses !== listen) {
    steps.push(
      step({
        id: 'flip/listen-addresses',
        stage: 'flip',
        kind: 'sql',
        description: `Write listen_addresses = '${listen}' with ALTER SYSTEM. RESTART REQUIRED: it takes effect only when the server restarts, which pgharden does not do`,
        forward: {
          do: 'sql',
          database: 'postgres',
          statements: [`ALTER SYSTEM SET listen_addresses = '${listen.replaceAll("'", "''")}'`],
        },
        undo: autoConfUndo(input, 'listen_addresses'),
        before: [
          { of: 'auto-setting', name: 'listen_addresses', value: input.autoConf.settings.listen_addresses ?? null },
        ],
        after: [{ of: 'auto-setting', name: 'listen_addresses', value: listen }],
        restartRequired: true,
      }),
    );
  }
  const su = superusers[0];
  if (!steps.length) return steps;
  steps.push(
    reloadStep(
      'flip/reload',
      'flip',
      'Reload so the flipped rules are in force, then confirm by probe',
      tlsAuthProbes(input, [
        ...(su ? [{ check: 'auth' as const, user: su, database: 'postgres', from, expect: 'refused' as const }] : []),
        ...rolesToCreate(input).map((r) => ({
          check: 'auth' as const,
          user: r.name,
          database: r.databases[0]!,
          from,
          expect: 'password-required' as const,
        })),
      ]),
    ),
  );
  return steps;
}
