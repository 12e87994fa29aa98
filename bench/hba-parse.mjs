// The parse benchmark, in one run and on one file: `pgharden inspect hba FILE --json` as a whole
// process (Node's start-up, imports, read, parse, JSON written to a file) against PostgreSQL's own
// parse of the same file, `SELECT count(*) FROM pg_hba_file_rules`, timed from a connected client
// (the query's wall time: the server opens and reads the file at each query, tokenizes and parses
// every line and builds the view's rows; no connection start-up). The two alternate, run by run,
// so a change in the machine's load falls on both. `node bench/hba-parse.mjs` runs it alone;
// PGHARDEN_BENCH_BASELINE=path/to/other/dist/bin/pgharden.js times that build too, in the same loop,
// and checks that its output is the same bytes (a before/after in one run).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bareEnvironment, generateHba, median } from './hba-file.mjs';

const cli = fileURLToPath(new URL('../dist/bin/pgharden.js', import.meta.url));
const COLUMNS = 'line_number, type, database, user_name, address, netmask, auth_method, options, error';

/**
 * Times both sides `runs` times on a 100,000-line file written as the cluster's hba_file (the
 * running server keeps its loaded rules: the view reads the file on disk). Returns the times in ms.
 */
export async function benchHbaParse(cluster, runs) {
  const dir = mkdtempSync(join(tmpdir(), 'pgharden-bench-parse-'));
  const out = join(dir, 'rules.json');
  const original = readFileSync(cluster.hbaFile);
  cluster.writeFile(cluster.hbaFile, generateHba(100_000));
  const args = ['inspect', 'hba', cluster.hbaFile, '--json', '--pg-version', String(cluster.major), '--ssl', 'on'];
  const env = bareEnvironment();
  const timeCli = (main, file) => {
    const fd = openSync(file, 'w');
    const t = performance.now();
    const r = spawnSync(process.execPath, [main, ...args], { stdio: ['ignore', fd, 'pipe'], env, encoding: 'utf8' });
    const ms = performance.now() - t;
    closeSync(fd);
    if (r.status !== 0) throw new Error(`inspect hba exited ${r.status}: ${r.stderr}`);
    return ms;
  };
  const ours = () => timeCli(cli, out);
  const baselineCli = process.env.PGHARDEN_BENCH_BASELINE;
  const baselineOut = join(dir, 'baseline.json');
  const theirs = async () => {
    const t = performance.now();
    const [row] = await cluster.query('SELECT count(*)::int AS n FROM pg_hba_file_rules');
    const ms = performance.now() - t;
    return { ms, n: row.n };
  };
  try {
    // Once each untimed (page cache, the server's catalog caches), then the same rows on both sides.
    ours();
    const server = await cluster.query(`SELECT ${COLUMNS} FROM pg_hba_file_rules ORDER BY line_number`);
    const mine = JSON.parse(readFileSync(out, 'utf8'));
    const strip = (r) => JSON.stringify(COLUMNS.split(', ').map((c) => r[c]));
    if (mine.length !== server.length || mine.some((r, i) => strip(r) !== strip(server[i])))
      throw new Error(`pgharden's rows differ from pg_hba_file_rules (${mine.length} vs ${server.length} rows)`);
    if (baselineCli) {
      timeCli(baselineCli, baselineOut);
      if (!readFileSync(baselineOut).equals(readFileSync(out))) throw new Error(`${baselineCli} printed other bytes`);
    }
    const load = [loadavg()[0]];
    const times = { ours: [], theirs: [], baseline: [] };
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) times.ours.push(ours());
      if (baselineCli) times.baseline.push(timeCli(baselineCli, baselineOut));
      const s = await theirs();
      if (s.n !== server.length) throw new Error(`the view counted ${s.n} rows, then ${server.length}`);
      times.theirs.push(s.ms);
      if (i % 2 === 1) times.ours.push(ours());
    }
    load.push(loadavg()[0]);
    return { ...times, rows: server.length, load, baselineCli };
  } finally {
    cluster.writeFile(cluster.hbaFile, original);
    rmSync(dir, { recursive: true, force: true });
  }
}

const span = (xs) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

/** The README's table row for a result of benchHbaParse. */
export function parseRow(r, major) {
  return [
    `\`pgharden inspect hba FILE --json\` on a generated 100,000-line pg_hba.conf (${r.rows} rows), whole process, median of ${r.ours.length}, alternating with the server's parse; ratio ${(median(r.ours) / median(r.theirs)).toFixed(2)}×; load average ${r.load.map((l) => l.toFixed(1)).join(' → ')}`,
    span(r.ours),
    `${span(r.theirs)} (PostgreSQL ${major}, \`SELECT count(*) FROM pg_hba_file_rules\`, same file)`,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { findInstall } = await import('../dist/cluster/install.js');
  const { startCluster } = await import('../dist/scratch/cluster.js');
  const major = Number(process.env.PGHARDEN_BENCH_PG ?? 15);
  const install = findInstall(major);
  if (!install) throw new Error(`PostgreSQL ${major} is not installed; set PGHARDEN_BENCH_PG`);
  const cluster = await startCluster(install, { ssl: true });
  try {
    const r = await benchHbaParse(cluster, Number(process.env.PGHARDEN_BENCH_RUNS ?? 11));
    console.log('| what | pgharden | PostgreSQL |\n|---|---|---|');
    console.log(`| ${parseRow(r, major).join(' | ')} |`);
    if (r.baselineCli)
      console.log(
        `| the same, ${r.baselineCli}, in the same loop; ratio ${(median(r.baseline) / median(r.theirs)).toFixed(2)}× | ${span(r.baseline)} | |`,
      );
  } finally {
    await cluster.stop();
  }
}
