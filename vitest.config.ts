import { defineConfig } from 'vitest/config';

/**
 * Time limits catch a hang, never slowness: a test fails because it is wrong, not because the
 * machine is busy. Tests are cut so that each one's work is bounded (one crash point, one rule
 * set, one chunk of generated files), and every limit is this one, ten minutes, far above what any
 * test takes on a loaded 2-core machine (README, "Tests").
 */
const HANG = 600_000;

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
          testTimeout: HANG,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          // Each file starts its own scratch clusters; two cores, so two files at a time.
          maxWorkers: 2,
          testTimeout: HANG,
          hookTimeout: HANG,
        },
      },
    ],
  },
});
