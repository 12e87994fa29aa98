import type { AuditCheck } from '../finding-types.js';
import { networkRules, quote, wide } from '../rules.js';

/** listen_addresses='*' (in the file or in force) together with rules wider than /16. */
export const check: AuditCheck = {
  id: 'listen-all-wide',
  title: "listen_addresses = '*' with network rules of /16 or wider",
  run(s) {
    const effective = s.settings.listen_addresses ?? '';
    const inFile = [...s.fileSettings].reverse().find((r) => r.name === 'listen_addresses' && r.setting !== null);
    const star = (v: string) => v.split(',').some((x) => ['*', '0.0.0.0', '::'].includes(x.trim()));
    const wideRules = networkRules(s).filter((r) => r.rule.method !== 'reject' && wide(r.rule, true));
    if (wideRules.length === 0 || !(star(effective) || (inFile?.setting && star(inFile.setting)))) return [];
    return [
      {
        severity: 'high' as const,
        evidence: [
          `listen_addresses in force: '${effective}'`,
          ...(inFile
            ? [
                `listen_addresses in ${inFile.sourcefile}:${inFile.sourceline}: '${inFile.setting}'${inFile.setting !== effective ? ' (takes effect at the next restart)' : ''}`,
              ]
            : []),
          ...wideRules.map((r) => quote(s, r)),
        ],
        why: 'The server accepts connections on every interface and the rules admit whole networks: the port is exposed to everything those networks contain.',
        fix: {
          stage: 'flip' as const,
          text: 'Narrow the rules to the ranges consumers really use; set listen_addresses to the needed interfaces (restart required, never silent).',
        },
      },
    ];
  },
};
