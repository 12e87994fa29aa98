/**
 * `inspect`: how PostgreSQL reads a pg_hba.conf or postgresql.conf, and which rule a connection
 * hits. With FILE and no connection: offline, judged as the given (or newest) major with the given
 * (or on) ssl. Otherwise it connects, takes the context from the server and, without FILE, reads
 * the server's own file, judging includes as the server's OS user can open them.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import type pg from 'pg';
import type { ConnectOptions } from '../cluster/libpq-resolve.js';
import { InputError } from '../core/errors.js';
import { defaultContext, type ServerContext } from '../conf/context.js';
import { fileSettingsRows, type FileSettingRow } from '../conf/guc-settings.js';
import type { HbaFileRuleRow } from '../conf/hba-types.js';
import { loadConf } from '../conf/load-conf.js';
import { loadHba, loadHbaRows, type ReadFile } from '../conf/load-hba.js';
import { matchConnection, type ConnectionSource, type MatchFacts, type MatchResult } from '../hba/match.js';

/** What an inspect call reads and how it judges it. */
export interface InspectOptions {
  /** The file; the server's own (hba_file / config_file) when absent. */
  file?: string;
  /** A server to judge against; with `file` and no connection the call stays offline. */
  connection?: ConnectOptions;
  /** Offline: the major to judge as (default 18) and whether ssl is on (default on). */
  pgVersion?: number;
  ssl?: boolean;
}

interface Target {
  file: string;
  context: ServerContext;
  /** Assumptions made, things not seen: for the user. */
  notes: string[];
  client?: pg.Client;
  reader: { readFile?: (path: string) => ReadFile | undefined };
}

const offline = (o: InspectOptions) =>
  o.file !== undefined && o.connection?.dsn === undefined && o.connection?.cluster === undefined;

async function target(o: InspectOptions, setting: 'hba_file' | 'config_file'): Promise<Target> {
  const override = (c: ServerContext): ServerContext => ({
    ...c,
    ...(o.pgVersion !== undefined ? { major: o.pgVersion } : {}),
    ...(o.ssl !== undefined ? { ssl: o.ssl } : {}),
  });
  // Absolute, as PostgreSQL names files in its views.
  const file = o.file === undefined ? undefined : resolve(o.file);
  if (offline(o)) {
    const notes =
      o.pgVersion === undefined || o.ssl === undefined
        ? [
            `judged as PostgreSQL ${o.pgVersion ?? 18} with ssl ${o.ssl === false ? 'off' : 'on'} (no server connected; set --pg-version/--ssl or --dsn)`,
          ]
        : [];
    return { file: file!, context: override(defaultContext()), notes, reader: {} };
  }
  // Loaded only to connect: offline, `inspect hba FILE` starts without pg (measured in the README).
  const [{ connect }, { contextFromServer }, { serverReader }] = await Promise.all([
    import('../cluster/connect.js'),
    import('../cluster/context.js'),
    import('../cluster/introspect.js'),
  ]);
  const client = await connect(o.connection ?? {});
  try {
    const detected = await contextFromServer(client);
    const serverFile =
      file ?? (await client.query<{ f: string }>(`SELECT current_setting('${setting}') AS f`)).rows[0]!.f;
    const dataDir = (await client.query<{ d: string | null }>("SELECT current_setting('data_directory', true) AS d"))
      .rows[0]!.d;
    return {
      file: serverFile,
      context: override(detected.context),
      notes: detected.assumedBuild ? [detected.assumedBuild] : [],
      client,
      reader: dataDir ? serverReader(dataDir, [serverFile]) : {},
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

/** Refuses, with the next step, a file that cannot be read (missing, or not ours to read). */
function assertReadable(file: string, command: string): void {
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new InputError(
      `Cannot read "${file}": ${why}`,
      code === 'EACCES'
        ? `run as the server's OS user: sudo -u postgres pgharden ${command} ...`
        : `check the path: pgharden ${command} FILE`,
    );
  }
}

/** pg_hba.conf as PostgreSQL reads it: the rows of pg_hba_file_rules, and the column of each error. */
export async function inspectHba(
  o: InspectOptions = {},
): Promise<{ file: string; rows: HbaFileRuleRow[]; columns: Map<string, number>; notes: string[] }> {
  const t = await target(o, 'hba_file');
  await t.client?.end();
  assertReadable(t.file, 'inspect hba');
  const { rows, columns } = loadHbaRows(t.file, { context: t.context, ...t.reader });
  return { file: t.file, rows, columns, notes: t.notes };
}

/** A row of postgresql.conf as pg_file_settings shows it (`applied` null: values not judged offline). */
export type ConfRow = Omit<FileSettingRow, 'applied'> & { applied: boolean | null };

/** postgresql.conf and its includes as PostgreSQL reads them; values judged only with a server. */
export async function inspectConf(
  o: InspectOptions = {},
): Promise<{ file: string; rows: ConfRow[]; judged: boolean; notes: string[] }> {
  const t = await target(o, 'config_file');
  try {
    assertReadable(t.file, 'inspect conf');
    if (t.client) {
      const { gucCatalogFromServer } = await import('../cluster/guc-catalog.js');
      const catalog = await gucCatalogFromServer(t.client);
      const dataDir = catalog.get('data_directory')?.setting;
      return {
        file: t.file,
        rows: fileSettingsRows(loadConf(t.file, { ...(dataDir ? { dataDir } : {}), ...t.reader }), catalog),
        judged: true,
        notes: t.notes,
      };
    }
    const loaded = loadConf(t.file);
    const rows = loaded.entries.map((e, i) => ({
      sourcefile: e.file,
      sourceline: e.line,
      seqno: i + 1,
      name: e.name,
      setting: e.value,
      applied: null,
      error: e.error,
    }));
    return { file: t.file, rows, judged: false, notes: t.notes };
  } finally {
    await t.client?.end();
  }
}

/** Which rule a connection hits. Without a server, +group and samerole see no memberships (said in `notes`). */
export async function inspectWho(
  o: InspectOptions & { user: string; database: string; from: ConnectionSource },
): Promise<{ result: MatchResult; notes: string[] }> {
  const t = await target(o, 'hba_file');
  let facts: MatchFacts = { memberOf: (u, g) => u === g };
  const notes = [...t.notes];
  if (t.client) {
    try {
      const { memberOf, readRoleMemberships } = await import('../cluster/roles.js');
      facts = { memberOf: memberOf(await readRoleMemberships(t.client)) };
    } finally {
      await t.client.end();
    }
  } else {
    notes.unshift(
      "no server connected: +group and samerole are judged as if the user were a member of no group (pass --dsn to use the server's roles)",
    );
  }
  assertReadable(t.file, 'inspect who');
  const rules = loadHba(t.file, { context: t.context, ...t.reader }).rules;
  return { result: matchConnection(rules, { source: o.from, database: o.database, user: o.user }, facts), notes };
}
