/**
 * A scratch cluster used as the pg_hba.conf oracle: its judging context, its original file put
 * back after the tests, and the rows `pg_hba_file_rules` shows for whatever is on disk now.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll } from 'vitest';
import { contextFromServer } from '../../src/cluster/build-options.js';
import type { ServerContext } from '../../src/conf/context.js';
import type { HbaFileRuleRow } from '../../src/conf/hba-types.js';
import { useCluster, type Cluster, type ClusterOptions, type PgInstall } from './cluster.js';

/** The view's rows for the files now on disk, in the order the server lists them. */
export async function serverHbaRows(cluster: Cluster): Promise<HbaFileRuleRow[]> {
  const fileCol = cluster.major >= 16 ? 'file_name' : `'${cluster.hbaFile}'::text`;
  return cluster.query<HbaFileRuleRow>(
    `SELECT ${fileCol} AS file, line_number, type, database, user_name, address, netmask, auth_method, options, error FROM pg_hba_file_rules`,
  );
}

/** Registers a cluster for the enclosing describe; `context()` judges as that server does. */
export function useHbaOracle(
  install: PgInstall,
  opts: ClusterOptions = {},
): { cluster: () => Cluster; context: () => ServerContext } {
  const cluster = useCluster(install, opts);
  let context: ServerContext | undefined;
  let original = '';
  beforeAll(async () => {
    const c = await cluster().connect();
    // The scratch server runs on this machine: its interfaces are ours.
    context = { ...(await contextFromServer(c)).context, interfaces: Object.keys(networkInterfaces()) };
    await c.end();
    original = readFileSync(cluster().hbaFile, 'utf8');
  });
  afterAll(() => cluster().writeFile(cluster().hbaFile, original));
  return { cluster, context: () => context! };
}
