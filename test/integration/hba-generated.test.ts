/**
 * Differential test on generated files: 500 pg_hba.conf file sets per major in `npm run test:all`
 * (100 in `npm test`; PGHARDEN_GENERATED sets the count per ssl setting)
 * (seeded: PGHARDEN_SEED, printed on failure), half with ssl off and half with ssl on, each
 * written into a scratch cluster and read back through pg_hba_file_rules.
 */
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHba } from '../../src/conf/load-hba.js';
import { resolveRadiusNames } from '../../src/hba/radius-names.js';
import { testedInstalls } from '../support/cluster.js';
import { generateHba, seededRandom } from '../support/hba-gen.js';
import { serverHbaRows, useHbaOracle } from '../support/hba-oracle.js';
import { tierSize, TEST_SEED } from '../support/tier.js';

// CI runs a fixed, verified seed so a green build stays green; elsewhere each run explores a new one.
const SEED = TEST_SEED;
const PER_CLUSTER = tierSize('PGHARDEN_GENERATED', 50, 250);
/** Sets compared per test. */
const CHUNK = 25;

describe.each(testedInstalls())('generated pg_hba.conf files on PostgreSQL $major', (install) => {
  describe.each([false, true])('ssl %s', (ssl) => {
    const { cluster, context } = useHbaOracle(install, { ssl });

    // The sets come from one seeded stream (generation needs only the major), drawn up front and
    // compared in chunks: a test per chunk, so the limit per test is for CHUNK sets, never the run's.
    const random = seededRandom(SEED + install.major * 2 + (ssl ? 1 : 0));
    const sets = Array.from({ length: PER_CLUSTER }, () => generateHba(random, install.major));
    const chunks = Array.from({ length: Math.ceil(PER_CLUSTER / CHUNK) }, (_, k) => k * CHUNK);
    it.for(chunks)(`generated file sets %i.. equal the server's parse (seed ${SEED})`, async (first) => {
      const c = cluster();
      for (let n = first; n < Math.min(first + CHUNK, PER_CLUSTER); n++) {
        const set = sets[n]!;
        for (const dir of ['inc']) rmSync(join(c.dataDir, dir), { recursive: true, force: true });
        for (const [rel, text] of Object.entries(set.files)) {
          const path = join(c.dataDir, rel);
          for (let d = dirname(path); d.length > c.dataDir.length; d = dirname(d)) {
            mkdirSync(d, { recursive: true });
            chownSync(d, c.uid, c.gid);
          }
          c.writeFile(path, text);
        }
        c.writeFile(c.hbaFile, set.main);
        const theirs = await serverHbaRows(c);
        // As inspect hba reads a file: RADIUS server names resolved as the server resolves them.
        const ours = (await resolveRadiusNames(loadHba(c.hbaFile, { context: context() }), context())).loaded.rows;
        expect(
          ours,
          `seed ${SEED}, set ${n}, PostgreSQL ${c.major} ssl ${ssl}:\n${set.main}\n--- inc/one.conf:\n${set.files['inc/one.conf']}`,
        ).toEqual(theirs);
      }
    });
  });
});

describe.each(testedInstalls().filter((i) => i.major >= 16))(
  'pg_hba.conf include edge cases on PostgreSQL $major',
  (install) => {
    const { cluster, context } = useHbaOracle(install);
    const CASES: Record<string, { main: string; files: Record<string, string> }> = {
      'an include loop': {
        main: 'local all all peer\ninclude loop/a.conf\n',
        files: { 'loop/a.conf': 'include b.conf\n', 'loop/b.conf': 'include a.conf\nlocal all b trust\n' },
      },
      'a file including itself': {
        main: 'include loop/self.conf\n',
        files: { 'loop/self.conf': 'local all x trust\ninclude self.conf\n' },
      },
      'an @file loop': { main: 'local all @loop/u1 trust\n', files: { 'loop/u1': 'a, @u2\n', 'loop/u2': '@u1\n' } },
      'absolute and dotted paths': {
        main: 'include ./loop/../loop/a.conf\n',
        files: { 'loop/a.conf': 'local all a trust\n' },
      },
    };
    it.each(Object.entries(CASES))('%s', async (_, set) => {
      const c = cluster();
      rmSync(join(c.dataDir, 'loop'), { recursive: true, force: true });
      mkdirSync(join(c.dataDir, 'loop'));
      chownSync(join(c.dataDir, 'loop'), c.uid, c.gid);
      for (const [rel, text] of Object.entries(set.files)) c.writeFile(join(c.dataDir, rel), text);
      c.writeFile(c.hbaFile, set.main);
      const theirs = await serverHbaRows(c);
      const ours = loadHba(c.hbaFile, { context: context() }).rows;
      expect(ours).toEqual(theirs);
    });
  },
);
