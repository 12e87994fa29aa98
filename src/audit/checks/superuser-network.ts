import type { AuditCheck } from '../finding-types.js';
import { loopbackOnly, networkRules, quote, userField, where } from '../rules.js';

/** A superuser that some non-reject network rule admits: through `all`, `+group`, a regex or its name. */
export const check: AuditCheck = {
  id: 'superuser-network',
  title: 'superuser reachable over the network',
  run(s) {
    const out = [];
    for (const role of s.roles.filter((r) => r.superuser && r.login)) {
      // First match wins: walk the rules as the server does for this role, from a non-loopback address.
      for (const r of networkRules(s)) {
        if (!userField(r.rule, role) || loopbackOnly(r.rule)) continue;
        if (r.rule.method === 'reject') break;
        out.push({
          severity: r.rule.method === 'trust' ? ('critical' as const) : ('high' as const),
          evidence: [`role "${role.name}" (superuser)`, quote(s, r)],
          why: `A superuser can log in from ${where(r.rule)} with ${r.rule.method}; one stolen or guessed credential, or none with trust, owns the whole server.`,
          fix: {
            stage: 'flip' as const,
            text: "Add a reject rule for superusers over the network above the others; keep local peer for the server's OS user.",
          },
          cis: 'Ensure excessive administrative privileges are revoked',
        });
        break;
      }
    }
    return out;
  },
};
