/**
 * The story cluster with consumer files and a spec, ready for `pgharden plan`; and what a test
 * compares before and after: the touched files (content, mode, owner), the role set, the new
 * roles' grants and the auth settings.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { findClientTools } from '../../src/cluster/client-tools.js';
import { startStoryCluster, VPN_RANGE } from '../../src/scratch/story.js';
import type { Cluster, PgInstall } from './cluster.js';
import { pgharden } from './cli.js';

export interface StoryPlanSetup {
  cluster: Cluster;
  /** A superuser session on workspace, opened before any flip and kept (like pgharden's lifeline). */
  workspace: pg.Client;
  dir: string;
  spec: string;
  dsn: string;
  consumerFiles: string[];
  cleanup(): Promise<void>;
}

export async function storyWithConsumers(
  install: PgInstall,
  settings?: Record<string, string>,
): Promise<StoryPlanSetup> {
  const cluster = await startStoryCluster(install, settings ? { settings } : {});
  const workspace = await cluster.connect({ database: 'workspace' });
  const dir = mkdtempSync(join(tmpdir(), 'pgharden-apply-'));
  chmodSync(dir, 0o755);
  const dsn = `postgres://postgres@127.0.0.1:${cluster.port}/postgres`;
  const env = join(dir, 'agents.env');
  const yaml = join(dir, 'reporting.yaml');
  writeFileSync(
    env,
    `# agents\nDATABASE_URL=postgres://postgres@127.0.0.1:${cluster.port}/workspace\nLOG_LEVEL=info\n`,
    { mode: 0o644 },
  );
  writeFileSync(
    yaml,
    `database:\n  url: "postgres://postgres@127.0.0.1:${cluster.port}/workspace?application_name=weekly"\n`,
    { mode: 0o640 },
  );
  const spec = join(dir, 'harden.yaml');
  writeFileSync(
    spec,
    [
      `target: { dsn: "${dsn}" }`,
      `network: { trustedRanges: [${VPN_RANGE}] }`,
      'roles:',
      '  - { name: agents_app, template: app-readwrite, databases: [workspace], readOnlyTables: [agents_kill_switch] }',
      '  - { name: reporting, template: readonly, databases: [workspace] }',
      'consumers:',
      '  - { name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, application: agents }',
      '  - { name: weekly-report, file: reporting.yaml, role: reporting, application: weekly }',
      '',
    ].join('\n'),
  );
  return {
    cluster,
    workspace,
    dir,
    spec,
    dsn,
    consumerFiles: [env, yaml],
    async cleanup() {
      await workspace.end().catch(() => undefined);
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A spec with one role (agents_app on workspace) and these consumers (YAML flow mappings), written as dir/NAME.yaml; returns its path. */
export function consumerSpec(s: StoryPlanSetup, name: string, consumers: string[], ranges = VPN_RANGE): string {
  const file = join(s.dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `target: { dsn: "${s.dsn}" }`,
      `network: { trustedRanges: [${ranges}] }`,
      'roles: [{ name: agents_app, template: app-readwrite, databases: [workspace] }]',
      `consumers: [${consumers.join(', ')}]`,
      '',
    ].join('\n'),
  );
  return file;
}

/** True when this machine has pg_dump/pg_restore able to back up a server of this major. */
export function hasDumpTools(major: number): boolean {
  try {
    findClientTools(major);
    return true;
  } catch {
    return false;
  }
}

/** Makes a plan in dir/plans/NAME (with --skip-backup where no pg_dump fits); throws with the CLI's output when it fails. */
export function makeStoryPlan(s: StoryPlanSetup, name: string): string {
  const out = join(s.dir, 'plans', name);
  const r = pgharden([
    'plan',
    '--spec',
    s.spec,
    '--out',
    out,
    ...(hasDumpTools(s.cluster.major) ? [] : ['--skip-backup']),
  ]);
  if (r.code !== 0) throw new Error(`plan failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  return out;
}

/** Content hash, mode and owner of each file. */
export function fileIdentity(paths: string[]): Record<string, string> {
  return Object.fromEntries(
    paths.map((p) => {
      const st = statSync(p);
      return [
        p,
        `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`,
      ];
    }),
  );
}

/** Roles, the new roles' table grants, and the settings the plan touches, as the server reports them. */
export async function serverState(s: StoryPlanSetup): Promise<Record<string, unknown>> {
  const c = s.cluster;
  const roles = await c.query('SELECT rolname, rolsuper, rolcanlogin FROM pg_roles WHERE rolname !~ $1 ORDER BY 1', [
    '^pg_',
  ]);
  const grants = (
    await s.workspace.query(
      "SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee IN ('agents_app', 'reporting') ORDER BY 1, 2, 3",
    )
  ).rows;
  const settings = await c.query(
    "SELECT name, setting FROM pg_file_settings WHERE name IN ('password_encryption', 'listen_addresses') ORDER BY 1, seqno",
  );
  return { roles, grants, settings };
}
