/**
 * The guide's network questions: the trusted ranges (suggested from the rules and the clients
 * connected now), listen_addresses (restart required, said so) and postgresql.conf's mode.
 * Superusers are local-only: the one choice pgharden offers, stated rather than asked.
 */
import { TLS_FINDING_IDS, type Snapshot, type Spec } from '../index.js';
import { paint, type Output } from '../render/output.js';
import { questions, type Prompter } from './questions.js';
import { suggestRanges } from './proposals.js';

/** The spec's `network`, `configFileMode` and `tls` (absent: off), as answered. */
export interface NetworkAnswers {
  network: Spec['network'];
  configFileMode: Spec['configFileMode'];
  tls?: { mode: 'require' | 'verify-full' };
}

export async function askNetwork(
  p: Prompter,
  o: Output,
  snapshot: Snapshot,
  findings: readonly string[] = [],
): Promise<NetworkAnswers> {
  const suggestions = suggestRanges(snapshot);
  const ranges: string[] = suggestions.length
    ? await p.checkbox({
        message: 'Trusted ranges: where your consumers connect from',
        choices: suggestions.map((s) => ({
          value: s.range,
          name: `${s.range}  (${s.why})`,
          checked: s.why.startsWith('clients'),
        })),
        required: false,
      })
    : [];
  for (;;) {
    const extra = (await p.input(questions.extraRange)).trim();
    if (!extra) {
      if (ranges.length) break;
      o.out(paint(o, 'yellow', 'At least one trusted range is needed.'));
      continue;
    }
    ranges.push(extra);
  }
  o.out('Superusers: from the local socket only (pgharden rejects them over the network; use sudo -u postgres psql).');
  const listen = (await p.input(questions.listenAddresses(snapshot.settings.listen_addresses ?? ''))).trim();
  const configFileMode = (await p.select(questions.configFileMode)) as Spec['configFileMode'];
  const tlsFound = [...new Set(findings.filter((id) => TLS_FINDING_IDS.includes(id)))];
  if (tlsFound.length)
    o.out(`TLS: the audit finds ${tlsFound.join(', ')}; verify-full is proposed (one plan, no failed connection).`);
  const tls = (await p.select(questions.tls(tlsFound.length ? 'verify-full' : 'off'))) as
    | 'verify-full'
    | 'require'
    | 'off';
  return {
    network: { trustedRanges: ranges, superuser: 'local-only', ...(listen ? { listenAddresses: listen } : {}) },
    configFileMode,
    ...(tls === 'off' ? {} : { tls: { mode: tls } }),
  };
}
