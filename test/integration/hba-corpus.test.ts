/**
 * Differential test: every real-world pg_hba.conf of the corpus, parsed by pgharden and by
 * PostgreSQL itself (`pg_hba_file_rules` reads the file on disk without loading it), on every
 * tested major with ssl off and on. Rows must be equal field by field, errors included.
 */
import { describe, expect, it } from 'vitest';
import { parseHba } from '../../src/conf/hba.js';
import { hbaRows } from '../../src/conf/hba-rows.js';
import { CORPUS_PRESENT, corpusFiles } from '../support/corpus.js';
import { testedInstalls } from '../support/cluster.js';
import { serverHbaRows, useHbaOracle } from '../support/hba-oracle.js';

const files = corpusFiles('hba');

describe.skipIf(!CORPUS_PRESENT).each(testedInstalls())('pg_hba.conf corpus on PostgreSQL $major', (install) => {
  describe.each([false, true])('ssl %s', (ssl) => {
    const { cluster, context: oracleContext } = useHbaOracle(install, { ssl });

    it.each(files)('$name', async ({ bytes }) => {
      const c = cluster();
      c.writeFile(c.hbaFile, bytes);
      const context = oracleContext();
      const ours = hbaRows(parseHba(bytes.toString('utf8'), { file: c.hbaFile, context }), {
        file: c.hbaFile,
        context,
      });
      expect(ours).toEqual(await serverHbaRows(c));
    });
  });
});
