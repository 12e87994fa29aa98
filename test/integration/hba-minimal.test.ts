/**
 * One-line cases the extended generators found, pinned against the server: empty @file lists,
 * @ naming a directory, quoted /regex names, regex errors before later fields, PostgreSQL 15's
 * LDAP URL wording, and @file lists in pg_ident.conf.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identRows, parseIdent } from '../../src/conf/ident.js';
import { loadHba, readConfigFile } from '../../src/conf/load-hba.js';
import { testedInstalls } from '../support/cluster.js';
import { serverHbaRows, useHbaOracle } from '../support/hba-oracle.js';

const HBA_CASES = [
  'local all @min/empty.txt trust',
  'host all @min/empty.txt all trust',
  'local all @base trust',
  'host "/(" all all trust',
  'host "/( all all trust',
  'host all all all ldap ldapurl=http://x',
  'local all @min/users.txt trust',
];

describe.each(testedInstalls())('minimal pg_hba.conf and pg_ident.conf cases on PostgreSQL $major', (install) => {
  const { cluster, context } = useHbaOracle(install);

  it.each(HBA_CASES)('%s', async (line) => {
    const c = cluster();
    rmSync(join(c.dataDir, 'min'), { recursive: true, force: true });
    mkdirSync(join(c.dataDir, 'min'));
    c.writeFile(join(c.dataDir, 'min/empty.txt'), '');
    c.writeFile(join(c.dataDir, 'min/users.txt'), 'alice, "Bob B"\n');
    c.writeFile(c.hbaFile, `${line}\n`);
    expect(loadHba(c.hbaFile, { context: context() }).rows).toEqual(await serverHbaRows(c));
  });

  it.runIf(install.major >= 15)('pg_ident.conf: @file lists and /regex PostgreSQL user names', async () => {
    const c = cluster();
    mkdirSync(join(c.dataDir, 'min'), { recursive: true });
    c.writeFile(join(c.dataDir, 'min/users.txt'), 'alice\n');
    const text = 'm1 @min/users.txt bob\nm2 @min/missing.txt bob\nm3 alice /)\nm4 /^(.*)$ \\1\n';
    c.writeFile(c.identFile, text);
    const fileCol = c.major >= 16 ? 'file_name' : `'${c.identFile}'::text`;
    const theirs = await c.query(
      `SELECT ${fileCol} AS file, line_number, map_name, sys_name, pg_username, error FROM pg_ident_file_mappings`,
    );
    const ours = identRows(
      parseIdent(text, { file: c.identFile, context: context(), readAtFile: (p) => readConfigFile(p)?.text }),
      { file: c.identFile },
    );
    expect(ours).toEqual(theirs);
  });
});
