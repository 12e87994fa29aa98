/**
 * Differential test: every real-world postgresql.conf of the corpus (and hand-written cases for
 * what it lacks), written as a scratch cluster's postgresql.conf and read back through
 * `pg_file_settings` (which re-reads the files at each query), against pgharden's loader and
 * judgement, row by row.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gucCatalogFromServer } from '../../src/cluster/guc-catalog.js';
import { fileSettingsRows } from '../../src/conf/guc-settings.js';
import type { GucCatalog } from '../../src/conf/guc-values.js';
import { loadConf } from '../../src/conf/load-conf.js';
import { corpusFiles } from '../support/corpus.js';
import { testedInstalls, useCluster, type Cluster } from '../support/cluster.js';

interface Case {
  main: string;
  /** Other files, relative to the data directory. */
  extra?: Record<string, string>;
  /** Symbolic links (relative path → target), made before the files are read. */
  links?: Record<string, string>;
  /** Directories to make. */
  dirs?: string[];
  /** postgresql.auto.conf for this case (the original is put back afterwards). */
  auto?: string;
}

/** include 'd1.conf' → … → d<n>.conf, each also setting a parameter. */
function chain(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= n; i++) files[`chain/d${i}.conf`] = `x.d${i} = ${i}\ninclude 'd${i + 1}.conf'\n`;
  return files;
}

const HAND_WRITTEN: Record<string, Case> = {
  'quoted escapes': { main: "a.x = 'it''s'\na.y = 'back\\\\slash \\' \\t tab \\101'\nwork_mem = '4MB'\n" },
  'include chain and include_dir': {
    main: "include 'inc/one.conf'\ninclude_dir 'conf.d'\ninclude_if_exists 'nope.conf'\nwork_mem = 64MB\n",
    extra: {
      'inc/one.conf': "maintenance_work_mem = '128MB' # from one\ninclude 'two.conf'\n",
      'inc/two.conf': 'log_min_duration_statement = 250ms\n',
      'conf.d/b.conf': 'work_mem = 8MB\n',
      'conf.d/a.conf': 'work_mem = 4MB\n',
      'conf.d/.hidden.conf': 'work_mem = 1MB\n',
      'conf.d/c.txt': 'work_mem = 2MB\n',
    },
  },
  'bad values and restart-only changes': {
    main: "work_mem = 'lots'\nmax_connections = 500\nenable_seqscan = maybe\nrandom_page_cost = 1.5\ntimezone = 'UTC'\nwork_mem = 1GB\n",
  },
  'syntax error stops the file': { main: 'work_mem = 4MB\nthis is wrong\nshared_buffers = 1GB\n' },
  'no value': { main: 'work_mem =\n' },
  'no value at end of file': { main: 'work_mem = 1MB\nwork_mem =' },
  'include loop': {
    main: "work_mem = 1MB\ninclude 'loop.conf'\n",
    extra: { 'loop.conf': "include 'postgresql.conf'\n" },
  },
  'zero octal escape ends the value; other octal escapes': {
    main: "a.x = 'ab\\0cd'\na.y = 'x\\101\\1010\\7z'\na.z = '\\q\\\\'\na.w = 'x\\400y'\n",
  },
  'backslash before a carriage return, CRLF lines': { main: "a.x = 'a\\\rb'\r\nwork_mem = 4MB\r\n# c\r\n" },
  'tokens without blanks': {
    main: 'work_mem=4MB#c\nx.y=a-b:c/d.e\nwork_mem 0x10kB\nlog_directory=pg_log/x.y-z\nx.q = +.5e3\n',
  },
  'integer followed by digits after a unit letter': { main: 'x.a = 1e5\n' },
  'lone sign': { main: 'x.a = -\n' },
  'non-ASCII values and names': { main: "a.x = 'ü€'\nx.ünï = 1\napplication_name = '日本'\n" },
  'names differing in case; renamed parameters': {
    main: 'Work_Mem = 1MB\nwork_mem = 2MB\nsort_mem = 4096\nWORK_MEM = 3MB\n',
  },
  'custom placeholders and extension prefixes': {
    main: "myext.setting = 1\nMyExt.Other = 'x'\nplpgsql.variable_conflict = bogus\nnot_a_parameter = 1\n",
  },
  'include depth limit': { main: "include 'chain/d1.conf'\n", extra: chain(12) },
  'include depth just under the limit': {
    main: "include 'chain/d1.conf'\n",
    extra: { ...chain(9), 'chain/d10.conf': 'x.last = 1\n' },
  },
  'missing include_dir': { main: "include_dir 'no_such_dir'\nwork_mem = 1MB\n" },
  'include_dir ordered by bytes, not locale': {
    main: "include_dir 'byname'\n",
    extra: {
      'byname/b.conf': 'x.v = b\n',
      'byname/B.conf': 'x.v = B\n',
      'byname/_u.conf': 'x.v = u\n',
      'byname/ä.conf': 'x.v = ae\n',
      'byname/a.conf': 'x.v = a\n',
      'byname/10.conf': 'x.v = 10\n',
      'byname/9.conf': 'x.v = 9\n',
      'byname/a.conf.bak': 'x.v = bak\n',
    },
  },
  'include_dir with a sub-directory, a dangling link and a link to a file': {
    main: "include_dir 'links'\nwork_mem = 2MB\n",
    extra: { 'links/a.conf': 'x.a = 1\n', 'target.txt': 'x.t = 1\n' },
    dirs: ['links/sub.conf'],
    links: { 'links/b.conf': '../target.txt', 'links/c.conf': '/nonexistent/c.conf' },
  },
  'include_dir with a link to a file only': {
    main: "include_dir 'links2'\n",
    extra: { 'target2.txt': 'x.t = 1\n' },
    dirs: ['links2/sub.conf'],
    links: { 'links2/b.conf': '../target2.txt' },
  },
  'empty include name': { main: "include ''\nwork_mem = 1MB\n" },
  'blank include_if_exists name': { main: "include_if_exists ' \t'\nwork_mem = 1MB\n" },
  'empty include_dir name': { main: "include_dir ''\nwork_mem = 1MB\n" },
  'paths with a trailing slash, dot segments and double slashes': {
    main: "include_dir 'slashy//./d/'\ninclude 'slashy/../slashy/x.conf'\ninclude 'nowhere/'\n",
    extra: { 'slashy/d/a.conf': 'x.a = 1\n', 'slashy/x.conf': 'x.b = 2\n' },
  },
  'a file that includes itself': { main: "work_mem = 1MB\ninclude 'postgresql.conf'\n" },
  'absolute include of a missing file': {
    main: "include '/nonexistent/dir/x.conf'\ninclude_if_exists '/nonexistent/y.conf'\n",
  },
  'postgresql.auto.conf read last': {
    main: 'work_mem = 1MB\nx.a = main\n',
    auto: "# Do not edit this file manually!\nwork_mem = '2MB'\nx.a = 'auto'\n",
  },
  units: {
    main: "statement_timeout = 1min\nmaintenance_work_mem = 1 GB\nwork_mem = 0x100\ncheckpoint_timeout = '5min'\nlog_rotation_age = 1d\nwork_mem = 3TB\n",
  },
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
    const theirs = await c.query(
      'SELECT sourcefile, sourceline, seqno, name, setting, applied, error FROM pg_file_settings ORDER BY seqno',
    );
    const ours = fileSettingsRows(loadConf(c.confFile, { dataDir: c.dataDir, major: c.major }), catalog, { locales });
    expect(ours).toEqual(theirs);
  }

  it.each(corpusFiles('conf'))('corpus $name', async ({ bytes }) => {
    await compare(cluster(), bytes);
  });

  it.each(Object.entries(HAND_WRITTEN))('%s', async (_, { main, extra, links, dirs, auto }) => {
    const c = cluster();
    const autoFile = join(c.dataDir, 'postgresql.auto.conf');
    const originalAuto = readFileSync(autoFile);
    for (const dir of dirs ?? []) mkdirSync(join(c.dataDir, dir), { recursive: true });
    for (const [rel, text] of Object.entries(extra ?? {})) {
      const path = join(c.dataDir, rel);
      mkdirSync(join(path, '..'), { recursive: true });
      c.writeFile(path, text, 0o600);
    }
    for (const [rel, target] of Object.entries(links ?? {})) {
      const path = join(c.dataDir, rel);
      mkdirSync(join(path, '..'), { recursive: true });
      rmSync(path, { force: true });
      symlinkSync(target, path);
    }
    if (auto !== undefined) c.writeFile(autoFile, auto, 0o600);
    try {
      await compare(c, main);
    } finally {
      c.writeFile(autoFile, originalAuto, 0o600);
    }
  });
});

/** Values given on the server's command line outrank the files. */
const COMMAND_LINE: Record<string, string> = {
  work_mem: '8MB',
  max_connections: '50',
  shared_buffers: '16MB',
  log_min_messages: 'notice',
};

const OVERRIDDEN: Record<string, string> = {
  'same names as the command line, other values':
    'work_mem = 4MB\nmax_connections = 100\nshared_buffers = 16MB\nlog_min_messages = warning\n',
  'same values as the command line':
    "work_mem = '8MB'\nmax_connections = 50\nshared_buffers = 2048\nlog_min_messages = NOTICE\n",
  'duplicate whose last value matches': 'max_connections = 100\nmax_connections = 50\n',
};

describe.each(testedInstalls())('postgresql.conf under command-line settings on PostgreSQL $major', (install) => {
  const cluster = useCluster(install, { settings: COMMAND_LINE });
  let original: string;
  let catalog: GucCatalog;
  beforeAll(async () => {
    original = readFileSync(cluster().confFile, 'utf8');
    const c = await cluster().connect();
    catalog = await gucCatalogFromServer(c);
    await c.end();
  });
  afterAll(() => cluster().writeFile(cluster().confFile, original));

  it.each(Object.entries(OVERRIDDEN))('%s', async (_, main) => {
    const c = cluster();
    c.writeFile(c.confFile, main, 0o600);
    const theirs = await c.query(
      'SELECT sourcefile, sourceline, seqno, name, setting, applied, error FROM pg_file_settings ORDER BY seqno',
    );
    expect(fileSettingsRows(loadConf(c.confFile, { dataDir: c.dataDir, major: c.major }), catalog)).toEqual(theirs);
  });
});
