/**
 * The guide's network questions: the trusted ranges (suggested from the rules and the clients
 * connected now), listen_addresses (restart required, said so) and postgresql.conf's mode.
 * Superusers are local-only: the one choice pgharden offers, stated rather than asked.
 */
import type { Snapshot, Spec } from '../index.js';
import { paint, type Output } from '../render/output.js';
import { questions, type Prompter } from './questions.js';
import { suggestRanges } from './proposals.js';

/** The spec's `network` and `configFileMode`, as answered. */
export interface NetworkAnswers {
  network: Spec['network'];
  configFileMode: Spec['configFileMode'];
}

export async function askNetwork(p: Prompter, o: Output, snapshot: Snapshot): Promise<NetworkAnswers> {
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
  return {
    network: { trustedRanges: ranges, superuser: 'local-only', ...(listen ? { listenAddresses: listen } : {}) },
    configFileMode,
  };
}
