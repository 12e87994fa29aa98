/**
 * Differential test for pg_ident.conf: hand-written files (the corpus has none) parsed by
 * pgharden and by PostgreSQL (`pg_ident_file_mappings`, 15+), compared field by field.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultContext } from '../../src/conf/context.js';
import { identRows, parseIdent } from '../../src/conf/ident.js';
import { testedInstalls, useCluster } from '../support/cluster.js';

const CASES: Record<string, string> = {
  plain: '# MAPNAME SYSTEM-USERNAME PG-USERNAME\nomicron bryanh bryanh\nomicron ann ann\n\n',
  quoted: 'm1 "Robert Smith" "rsmith"\nm1 "all" bob\n',
  regex: 'm2 /^(.*)@mydomain\\.com$ \\1\nm2 "/notregex" x\n',
  'bad regex': 'm3 /^(abc x\n',
  'missing field': 'm4 onlytwo\nm4\n',
  'multiple values': 'm5 a,b c\nm5 a b,c\n',
  'extra field and comments': 'm6 a b c # trailing\n   # indented comment\nm6 "x y" z\r\n',
  continuation: 'm7 alice \\\n  alice_pg\n',
  'regex errors': 'm8 /[a x\nm8 /* x\nm8 /a{2,1} x\nm8 /(?<n>a) x\n',
  'pg user forms': 'm9 bob +admins\nm9 ann /^a.*$\nm9 "+x" "/y"\nm9 all all\n',
  'quotes and tabs': 'm10\t"a""b"\t"c d"\r\nm10 "" x\n"m 11" a b\n',
  'no final newline': 'm12 a b\nm12 c d',
};

// pg_ident_file_mappings, the oracle, exists from 15: on 14 there is nothing to compare with.
const withOracle = testedInstalls().filter((i) => i.major >= 15);
if (withOracle.length === 0)
  it.skip('pg_ident.conf: no oracle before PostgreSQL 15 (pg_ident_file_mappings)', () => {});

describe.each(withOracle)('pg_ident.conf on PostgreSQL $major', (install) => {
  const cluster = useCluster(install);
  let original: string;
  beforeAll(() => {
    original = readFileSync(cluster().identFile, 'utf8');
  });
  afterAll(() => cluster().writeFile(cluster().identFile, original));

  it.each(Object.entries(CASES))('%s', async (_, text) => {
    const c = cluster();
    c.writeFile(c.identFile, text);
    const fileCol = c.major >= 16 ? 'file_name' : `'${c.identFile}'::text`;
    const theirs = await c.query(
      `SELECT ${fileCol} AS file, line_number, map_name, sys_name, pg_username, error FROM pg_ident_file_mappings ORDER BY line_number`,
    );
    const context = defaultContext({ major: c.major });
    expect(identRows(parseIdent(text, { file: c.identFile, context }), { file: c.identFile })).toEqual(theirs);
  });
});
