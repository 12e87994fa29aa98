import type { AuditCheck } from '../finding-types.js';

const DAY = 86_400_000;

/** A login role whose password pgharden set longer ago than the spec's passwordMaxAgeDays (or --password-max-age). */
export const check: AuditCheck = {
  id: 'password-age',
  title: 'password older than the rotation limit',
  run(s) {
    const p = s.passwordAges;
    if (!p || p.maxAgeDays === null) return [];
    const limit = p.maxAgeDays;
    return p.roles.flatMap((r) => {
      const role = s.roles.find((x) => x.name === r.role);
      // A role that cannot log in, or whose password was taken away (a retired rotation partner), uses none.
      if (!role?.login || role.password === 'none') return [];
      const age = (Date.parse(p.now) - Date.parse(r.setAt)) / DAY;
      if (!(age > limit)) return [];
      return [
        {
          severity: 'medium' as const,
          evidence: [
            `role "${r.role}": password set ${r.setAt} by ${r.plan} (${age.toFixed(1)} days ago; the limit is ${limit})`,
            `read from: ${p.source}`,
          ],
          why: 'A password older than the limit has had that long to leak (a copied .env, a backup, a departed colleague); rotation bounds how long a leaked one works.',
          fix: {
            stage: 'manual' as const,
            text: `Rotate it with live consumers and no failed connection: pgharden plan --spec harden.yaml --rotate ${r.role}, then pgharden apply.`,
          },
          cis: 'Ensure password complexity and expiry are configured',
        },
      ];
    });
  },
};
