import { staleness } from '../age.js';
import type { AuditCheck } from '../finding-types.js';

/** No restore drill succeeded within --max-drill-age days: the backups are a hope, not a proof. */
export const check: AuditCheck = {
  id: 'drill-stale',
  title: 'no recent restore drill',
  run(s) {
    const r = s.recovery;
    const stale = r ? staleness(r.now, r.lastDrill, r.maxDrillAgeDays) : null;
    if (!r || !stale) return [];
    const age = stale.age;
    return [
      {
        severity: 'medium',
        evidence: [
          r.lastDrill
            ? `newest drill: ${r.lastDrill.what}, ${r.lastDrill.at} (${age!.toFixed(1)} days ago; the limit is ${r.maxDrillAgeDays})`
            : 'no successful restore drill recorded',
        ],
        why: 'A backup that has never been restored is a hope: a dump that does not load, a missing WAL segment or a wrong key is found only on the day it is needed.',
        fix: {
          stage: 'manual',
          text: 'Drill now and on a schedule: pgharden backup --out DIR --verify (dumps restored and compared), or pgharden pitr drill --latest (pgBackRest restored into a scratch directory and compared).',
        },
      },
    ];
  },
};
