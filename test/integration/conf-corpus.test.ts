/**
 * Differential test: every real-world postgresql.conf of the corpus (and hand-written cases for
 * what it lacks), written as a scratch cluster's postgresql.conf and read back through
 * `pg_file_settings` (which re-reads the files at each query), against pgharden's loader and
 * judgement, row by row.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gucCatalogFromServer } from '../../src/cluster/guc-catalog.js';
import { fileSettingsRows, type GucCatalog } from '../../src/conf/guc-settings.js';
import { loadConf } from '../../src/conf/load-conf.js';
import { corpusFiles } from '../helpers/corpus.js';
import { testedInstalls, useCluster, type Cluster } from '../helpers/cluster.js';

const HAND_WRITTEN: Record<string, { main: string; extra?: Record<string, string> }> = {
  'quoted escapes': { main: "a.x = 'it''s'\na.y = 'back\\\\slash \\' \\t tab \\101'\nwork_mem = '4MB'\n" },
  'include chain and include_dir': {
    main: "include 'inc/one.conf'\ninclude_dir 'conf.d'\ninclude_if_exists 'nope.conf'\nwork_mem = 64MB\n",
    extra: { 'inc/one.conf': "maintenance_work_mem = '128MB' # from one\ninclude 'two.conf'\n", 'inc/two.conf': 'log_min_duration_statement = 250ms\n', 'conf.d/b.conf': 'work_mem = 8MB\n', 'conf.d/a.conf': 'work_mem = 4MB\n', 'conf.d/.hidden.conf': 'work_mem = 1MB\n', 'conf.d/c.txt': 'work_mem = 2MB\n' },
  },
  'bad values and restart-only changes': { main: "work_mem = 'lots'\nmax_connections = 500\nenable_seqscan = maybe\nrandom_page_cost = 1.5\ntimezone = 'UTC'\nwork_mem = 1GB\n" },
  'syntax error stops the file': { main: "work_mem = 4MB\nthis is wrong\nshared_buffers = 1GB\n" },
  'no value': { main: 'work_mem =\n' },
  'no value at end of file': { main: 'work_mem = 1MB\nwork_mem =' },
  'include loop': { main: "work_mem = 1MB\ninclude 'loop.conf'\n", extra: { 'loop.conf': "include 'postgresql.conf'\n" } },
  'units': { main: "statement_timeout = 1min\nmaintenance_work_mem = 1 GB\nwork_mem = 0x100\ncheckpoint_timeout = '5min'\nlog_rotation_age = 1d\nwork_mem = 3TB\n" },
};

describe.each(testedInstalls())('postgresql.conf on PostgreSQL $major', (install) => {
  const cluster = useCluster(install);
  let original: string;
  let catalog: GucCatalog;
  // The scratch server runs on this machine: its locales are ours.
  const locales = execFileSync('locale', ['-a'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  beforeAll(async () => {
    original = readFileSync(cluster().confFile, 'utf8');
    const c = await cluster().connect();
    catalog = await gucCatalogFromServer(c);
    await c.end();
  });
  afterAll(() => cluster().writeFile(cluster().confFile, original));

  async function compare(c: Cluster, main: string | Buffer) {
    c.writeFile(c.confFile, main, 0o600);
    const theirs = await c.query('SELECT sourcefile, sourceline, seqno, name, setting, applied, error FROM pg_file_settings ORDER BY seqno');
    const ours = fileSettingsRows(loadConf(c.confFile, { dataDir: c.dataDir }), catalog, { locales });
    expect(ours).toEqual(theirs);
  }

  it.each(corpusFiles('conf'))('corpus $name', async ({ bytes }) => {
    await compare(cluster(), bytes);
  });

  it.each(Object.entries(HAND_WRITTEN))('%s', async (_, { main, extra }) => {
    const c = cluster();
    for (const [rel, text] of Object.entries(extra ?? {})) {
      const path = join(c.dataDir, rel);
      mkdirSync(join(path, '..'), { recursive: true });
      c.writeFile(path, text, 0o600);
    }
    await compare(c, main);
  });
});
