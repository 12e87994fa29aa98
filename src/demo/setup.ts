/**
 * The demo's world: the story cluster plus what a small company would have around it — three
 * consumer config files in different formats, and the spec a DBA would write for them. All of it
 * in one temporary directory that the demo removes.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { startStoryCluster, VPN_RANGE, type Cluster } from '../fixtures.js';
import type { PgClient, PgInstall } from '../index.js';

export interface DemoWorld {
  cluster: Cluster;
  /** A superuser session on workspace, opened first and kept: it counts rows at every stage. */
  workspace: PgClient;
  dir: string;
  specFile: string;
  consumerFiles: string[];
}

export const DEMO_SPEC = (port: number) => `# The DBA's intent, in a few lines (pgharden plan --help shows every key).
target: { dsn: "postgres://postgres@127.0.0.1:${port}/postgres" }
network:
  trustedRanges: [${VPN_RANGE}]     # the office VPN: where the agents and the reports connect from
  superuser: local-only
roles:
  - { name: agents_app, template: app-readwrite, databases: [workspace], readOnlyTables: [agents_kill_switch] }
  - { name: reporting,  template: readonly,      databases: [workspace] }
consumers:
  - { name: agents,    file: agents.env,     key: DATABASE_URL, role: agents_app, application: agents, drainTimeout: 10 }
  - { name: weekly,    file: reporting.yaml, role: reporting, application: weekly, drainTimeout: 10 }
  - { name: dashboard, file: dashboard.json, role: reporting, application: dashboard, drainTimeout: 10 }
`;

export async function createWorld(install: PgInstall): Promise<DemoWorld> {
  const cluster = await startStoryCluster(install);
  try {
    // A cluster initdb'd by an OS user has a superuser of that name; the scratch one is made with
    // -U postgres, so when the demo runs as someone else, that role is added, as it would exist.
    const me = userInfo().username;
    if (process.getuid?.() !== 0 && me !== 'postgres')
      await cluster.query(`CREATE ROLE "${me.replaceAll('"', '""')}" SUPERUSER LOGIN`);
    const workspace = await cluster.connect({ database: 'workspace' });
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-demo-'));
    // Ctrl-C ends the demo through the scratch cluster's signal handler and process.exit: the files go too.
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755);
    const url = (app: string) => `postgres://postgres@127.0.0.1:${cluster.port}/workspace?application_name=${app}`;
    const files = {
      'agents.env': `# agents service\nDATABASE_URL=${url('agents')}\nAGENT_POLL_SECONDS=5\n`,
      'reporting.yaml': `report:\n  schedule: weekly\ndatabase:\n  url: "${url('weekly')}"\n`,
      'dashboard.json': `{\n  "title": "Agents",\n  "database": { "url": "${url('dashboard')}" },\n  "refresh": 30\n}\n`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o644 });
    const specFile = join(dir, 'harden.yaml');
    writeFileSync(specFile, DEMO_SPEC(cluster.port));
    return { cluster, workspace, dir, specFile, consumerFiles: Object.keys(files).map((f) => join(dir, f)) };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Exact row counts of the workspace tables: the proof that hardening moved no data. */
export async function rowCounts(w: DemoWorld): Promise<string> {
  const { rows } = await w.workspace.query<{ t: string; n: number }>(
    `SELECT 'agents' AS t, count(*)::int AS n FROM agents UNION ALL SELECT 'tasks', count(*)::int FROM tasks
     UNION ALL SELECT 'agents_kill_switch', count(*)::int FROM agents_kill_switch`,
  );
  return rows.map((r) => `${r.t}=${r.n}`).join(' ');
}
