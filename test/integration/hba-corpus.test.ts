/**
 * Differential test: every real-world pg_hba.conf of the corpus, parsed by pgharden and by
 * PostgreSQL itself (`pg_hba_file_rules` reads the file on disk without loading it), on every
 * tested major with ssl off and on. Rows must be equal field by field, errors included.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFromServer } from '../../src/cluster/context.js';
import type { ServerContext } from '../../src/conf/context.js';
import { parseHba } from '../../src/conf/hba.js';
import { hbaRows } from '../../src/conf/hba-rows.js';
import type { HbaFileRuleRow } from '../../src/conf/hba-types.js';
import { corpusFiles } from '../helpers/corpus.js';
import { testedInstalls, useCluster, type Cluster } from '../helpers/cluster.js';

/** The view's rows for the file now on disk, in our row shape. */
export async function serverHbaRows(cluster: Cluster): Promise<HbaFileRuleRow[]> {
  const fileCol = cluster.major >= 16 ? 'file_name' : `'${cluster.hbaFile}'::text`;
  const order = cluster.major >= 16 ? 'ORDER BY file_name, line_number' : 'ORDER BY line_number';
  return cluster.query<HbaFileRuleRow>(
    `SELECT ${fileCol} AS file, line_number, type, database, user_name, address, netmask, auth_method, options, error
     FROM pg_hba_file_rules ${order}`,
  );
}

const files = corpusFiles('hba');

describe.each(testedInstalls())('pg_hba.conf corpus on PostgreSQL $major', (install) => {
  describe.each([false, true])('ssl %s', (ssl) => {
    const cluster = useCluster(install, { ssl });
    let context: ServerContext;
    let original: string;
    beforeAll(async () => {
      const c = await cluster().connect();
      // The scratch server runs on this machine: its interfaces are ours.
      context = { ...(await contextFromServer(c)).context, interfaces: Object.keys(networkInterfaces()) };
      await c.end();
      original = readFileSync(cluster().hbaFile, 'utf8');
    });
    afterAll(() => cluster().writeFile(cluster().hbaFile, original));

    it.each(files)('$name', async ({ bytes }) => {
      const c = cluster();
      c.writeFile(c.hbaFile, bytes);
      const ours = hbaRows(parseHba(bytes.toString('utf8'), { file: c.hbaFile, context }), { file: c.hbaFile, context });
      expect(ours).toEqual(await serverHbaRows(c));
    });
  });
});
