/**
 * An existing spec's values as the guide's defaults: answering the questions again over a
 * harden.yaml offers what it holds (ranges, listen_addresses, the file mode, the TLS mode, each
 * role's name, template and databases, each consumer's drain timeout and the commands it names),
 * so a second session changes only what the DBA changes.
 */
import type { Snapshot, Spec } from '../index.js';
import { joinCommand, questions } from './questions.js';
import { suggestRanges } from './proposals.js';
import type { Answer } from './resume.js';

/** The spec's values as answers to the questions the guide asks, worded as it asks them on this server. */
export function specHints(spec: Spec, snapshot: Snapshot): Answer[] {
  // Ranges the guide suggests are checked; the others are offered one by one as "another range".
  const offered = new Set(suggestRanges(snapshot).map((s) => s.range));
  const ranges = spec.network.trustedRanges;
  const hints: Answer[] = [
    { message: 'Trusted ranges: where your consumers connect from', answer: ranges.filter((r) => offered.has(r)) },
    ...ranges.filter((r) => !offered.has(r)).map((r) => ({ message: questions.extraRange.message, answer: r })),
    { message: questions.extraRange.message, answer: '' },
    {
      message: questions.listenAddresses(snapshot.settings.listen_addresses ?? '').message,
      answer: spec.network.listenAddresses ?? '',
    },
    { message: questions.configFileMode.message, answer: spec.configFileMode },
    { message: questions.tls('off').message, answer: spec.tls.mode },
  ];
  for (const r of spec.roles) {
    hints.push({ message: questions.roleName('', new Set()).message, answer: r.name });
    hints.push({ message: questions.template('').message, answer: r.template });
    hints.push({ message: questions.databases(r.name, '').message, answer: r.databases.join(' ') });
  }
  for (const c of spec.consumers) {
    // A command the spec leaves out is no answer: the guide's own suggestion (a systemd unit that
    // reads the file) stays the default.
    if (c.reload) hints.push({ message: questions.reload(c.name, '').message, answer: joinCommand(c.reload) });
    if (c.healthCheck)
      hints.push({ message: questions.health(c.name, '').message, answer: joinCommand(c.healthCheck) });
    hints.push({ message: questions.drainTimeout(c.name).message, answer: String(c.drainTimeout) });
  }
  return hints;
}
