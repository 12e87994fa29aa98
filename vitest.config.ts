import { defineConfig } from 'vitest/config';

/**
 * Time limits catch a hang, never slowness: a test fails because it is wrong, not because the
 * machine is busy. Tests are cut so that each one's work is bounded (one crash point, one rule
 * set, one chunk of generated files), and every limit is this one, ten minutes, far above what any
 * test takes on a loaded 2-core machine (README, "Tests").
 */
const HANG = 600_000;

/**
 * Suites that drive whole systems around pgharden run in the full tier only (`npm run test:all`,
 * which CI runs): each takes minutes on the 2-core machine, and the fast tier keeps a cheaper test
 * of the same code (named after each).
 */
const FULL_TIER_ONLY = [
  'ansible', // a three-host fleet through ansible-playbook; the verbs it calls are in apply*, plan-delta
  'ansible-check', // ansible-playbook --check and --diff; plan --check itself is in plan-check
  'package', // builds the single executable and the .deb (minutes), installs them; built-package stays
  'backup', // nightly job, dumps restored twice; backup-drill stays
  'pitr-drill', // pgBackRest restores and replays; pitr-enable, pitr-adopt, pitr-monitoring stay
  'pitr-runbook-debian', // the runbook's scripts on Debian clusters; the runbook verb in pitr-enable
  'pitr-s3', // an S3 server over TLS and a whole backup/drill through it
];
// A suite named on the command line (`npx vitest run test/integration/backup.test.ts`) runs in any tier.
const named = (name: string) =>
  process.argv.some((arg) => arg === name || arg.endsWith(`/${name}`) || arg.includes(`${name}.test`));
const FULL = process.env.PGHARDEN_TIER === 'full';
const excluded = FULL ? [] : FULL_TIER_ONLY.filter((name) => !named(name));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          // Temporary files go to a directory of the run's own, removed at its end.
          globalSetup: ['test/support/unit-tmpdir.ts'],
          // One module graph per worker, not one per file: the unit files share no state they
          // change (no module mocks, no env writes that outlive a test), and loading vitest and
          // src again for each of ~100 files was two thirds of the tier's time (49 s, now 16 s;
          // shuffled orders pass too: --sequence.shuffle).
          isolate: false,
          testTimeout: HANG,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: excluded.map((name) => `test/integration/${name}.test.ts`),
          sequence: { groupOrder: 1 },
          // initdb once per install and run, every other scratch cluster a copy (src/scratch/template.ts).
          globalSetup: ['test/support/scratch-templates.ts'],
          // Each file starts its own scratch clusters. The fast tier runs three files at a time on
          // two cores: a file spends part of its time waiting (a drain, a restart, a reconnect
          // loop), and with two the cores sat idle 12% of `npm test` (vmstat 5; 6% with three).
          // The full tier keeps two, as measured green under a CPU hog; PGHARDEN_WORKERS overrides.
          // Files share a worker process and its loaded modules (a fresh process per file cost
          // about 1 s of CPU each); every file stops the clusters and removes the directories it
          // makes in its own afterAll. PGHARDEN_ISOLATE=1 gives each file a process of its own.
          isolate: process.env.PGHARDEN_ISOLATE === '1',
          maxWorkers: Number(process.env.PGHARDEN_WORKERS ?? (FULL ? 2 : 3)),
          testTimeout: HANG,
          hookTimeout: HANG,
        },
      },
    ],
  },
});
