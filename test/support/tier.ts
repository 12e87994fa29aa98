/**
 * The test tiers (README, "Tests"): `npm test` is the fast tier (PGHARDEN_TIER unset: PostgreSQL
 * 15, one crash point a step, sampled generated sets), `npm run test:all` the full one
 * (PGHARDEN_TIER=full: every major, the whole crash sweep, generated and corpus sets at full size).
 */

/** True in `npm run test:all`. */
export const FULL_TIER = process.env.PGHARDEN_TIER === 'full';

/** A size for this tier: an environment variable wins (e.g. PGHARDEN_MATCH_SETS), then the tier's own. */
export function tierSize(envName: string, fast: number, full: number): number {
  const set = process.env[envName];
  if (set !== undefined && set !== '') {
    const n = Number(set);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${envName}=${set}: expected a whole number`);
    return n;
  }
  return FULL_TIER ? full : fast;
}

/**
 * The seed of the run's sampled choices (crash points, rule sets, generated files, guide stops):
 * PGHARDEN_SEED, else a fixed one on CI and a new one each local run, so that successive runs
 * cover the whole set. Each test that samples prints it.
 */
export const TEST_SEED = Number(process.env.PGHARDEN_SEED ?? (process.env.CI ? 20261122 : Date.now() % 1_000_000));
