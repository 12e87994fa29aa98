/**
 * What drift compares: the snapshot (as the audit takes it), pg_hba.conf's text, each desired
 * role's effective privileges in its databases (has_*_privilege, read-only), each consumer file's
 * connection string and each named file's mode.
 */
import { statSync } from 'node:fs';
import type pg from 'pg';
import { introspect } from '../cluster/introspect.js';
import { withClient, type ConnectOptions } from '../connect/connect.js';
import { readCapped } from '../conf/read-capped.js';
import { chooseSite } from '../consumers/edit.js';
import { loadTemplates } from '../plan/templates.js';
import type { DesiredState, Observed, ObservedConsumer, ObservedGrants } from './drift-types.js';
import type { Snapshot } from '../cluster/introspect.js';

const PRIVILEGES = ['select', 'insert', 'update', 'delete', 'truncate'];

async function grantsIn(c: pg.Client, role: string, database: string, schema: string): Promise<ObservedGrants> {
  const head = await c.query<{ connect: boolean; create: boolean }>(
    `SELECT has_database_privilege($1, $2, 'CONNECT') AS connect,
            coalesce((SELECT has_schema_privilege($1, n.oid, 'CREATE') FROM pg_namespace n WHERE n.nspname = $3), false) AS create`,
    [role, database, schema],
  );
  const tables = await c.query<{ t: string; privileges: string[] }>(
    `SELECT n.nspname || '.' || k.relname AS t,
            array(SELECT p FROM unnest($3::text[]) p WHERE has_table_privilege($1, k.oid, p)) AS privileges
     FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace
     WHERE n.nspname = $2 AND k.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1`,
    [role, schema, PRIVILEGES],
  );
  return {
    role,
    database,
    connect: head.rows[0]!.connect,
    createInSchema: head.rows[0]!.create,
    tables: tables.rows.map((r) => ({ table: r.t, privileges: r.privileges })),
  };
}

function consumerNow(c: DesiredState['consumers'][number]): ObservedConsumer {
  try {
    const site = chooseSite(c.path, readCapped(c.path).toString('utf8'), c.key, c.format);
    return { name: c.name, path: c.path, user: site.user, line: site.line };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { name: c.name, path: c.path, user: null, line: null, error: e.code ?? e.message };
  }
}

function modeOf(path: string): number | null {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return null;
  }
}

/** Observes the live cluster; `desiredOf` turns the snapshot into the desired state (a spec needs its paths). */
export async function observe(
  connection: ConnectOptions,
  desiredOf: (s: Snapshot) => DesiredState,
  templatesDir?: string,
): Promise<{ desired: DesiredState; observed: Observed }> {
  const snapshot = await withClient(connection, (c) => introspect(c));
  const desired = desiredOf(snapshot);
  const existing = new Set(snapshot.roles.map((r) => r.name));
  const grants: ObservedGrants[] = [];
  for (const db of [...new Set(desired.roles.flatMap((r) => r.databases))]) {
    const roles = desired.roles.filter((r) => r.databases.includes(db) && existing.has(r.name));
    if (!roles.length) continue;
    try {
      await withClient({ ...connection, database: db }, async (c) => {
        for (const r of roles) grants.push(await grantsIn(c, r.name, db, r.schema));
      });
    } catch (err) {
      for (const r of roles)
        grants.push({
          role: r.name,
          database: db,
          connect: true,
          createInSchema: false,
          tables: [],
          error: String(err),
        });
    }
  }
  const templates = new Map<string, { tablePrivileges: string[]; createsInSchema: boolean }>();
  // The built-in templates (from the package or the executable's assets), then the spec's own.
  for (const dir of [undefined, ...(templatesDir ? [templatesDir] : [])])
    for (const [k, v] of await loadTemplates(dir).catch(() => new Map())) templates.set(k, v);
  let hbaText: string | null = null;
  try {
    hbaText = readCapped(desired.hba?.path ?? snapshot.hba.file).toString('utf8');
  } catch {
    hbaText = null;
  }
  return {
    desired,
    observed: {
      snapshot,
      hbaText,
      grants,
      consumers: desired.consumers.map(consumerNow),
      fileModes: desired.fileModes.map((f) => ({ path: f.path, mode: modeOf(f.path) })),
      templates,
    },
  };
}
