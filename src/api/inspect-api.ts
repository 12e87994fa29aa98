/**
 * `inspect`: how PostgreSQL reads a pg_hba.conf or postgresql.conf, and which rule a connection
 * hits. With FILE and no connection: offline, judged as the given (or newest) major with the given
 * (or on) ssl. Otherwise it connects, takes the context from the server and, without FILE, reads
 * the server's own file, judging includes as the server's OS user can open them.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import type pg from 'pg';
import type { ConnectOptions } from '../connect/libpq-resolve.js';
import { InputError } from '../core/errors.js';
import { defaultContext, type ServerContext } from '../conf/context.js';
import { fileSettingsRows, type FileSettingRow } from '../conf/guc-settings.js';
import type { HbaFileRuleRow } from '../conf/hba-types.js';
import { loadConf } from '../conf/load-conf.js';
import { loadHba, loadHbaRows, type LoadedHba, type ReadFile } from '../conf/load-hba.js';
import { interfaceFacts, NO_SERVER } from '../hba/interfaces.js';
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
  /** Look up RADIUS server names as the server does while parsing (default); false: stay offline. */
  resolve?: boolean;
}

interface Target {
  file: string;
  context: ServerContext;
  /** Assumptions made, things not seen: for the user. */
  notes: string[];
  client?: pg.Client;
  reader: { readFile?: (path: string) => ReadFile | undefined };
}

/** libpq's environment (and Debian's PGCLUSTER) naming a server: as libpq does, it is the default connection. */
const SERVER_ENV = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGSERVICE', 'PGCLUSTER'];

const fromEnvironment = () => SERVER_ENV.filter((k) => process.env[k]);

const offline = (o: InspectOptions) =>
  o.file !== undefined &&
  o.connection?.dsn === undefined &&
  o.connection?.cluster === undefined &&
  fromEnvironment().length === 0;

async function target(o: InspectOptions, setting: 'hba_file' | 'config_file', command: string): Promise<Target> {
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
    import('../connect/connect.js'),
    import('../cluster/build-options.js'),
    import('../cluster/introspect.js'),
  ]);
  // A FILE is read here whichever server judges it: an unreadable one needs no connection to refuse.
  if (file !== undefined) assertReadable(file, command);
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
      notes: [
        ...(o.connection === undefined && file !== undefined
          ? [`judged against the server ${fromEnvironment().join('/')} name in the environment`]
          : []),
        ...(detected.assumedBuild ? [detected.assumedBuild] : []),
      ],
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

/** RADIUS server names resolved as the server does (lines it fails become its empty rows), or why not. */
async function radiusPass(loaded: LoadedHba, context: ServerContext, o: InspectOptions, notes: string[]) {
  const { resolveRadiusNames } = await import('../hba/radius-names.js');
  if (o.resolve !== false) return (await resolveRadiusNames(loaded, context)).loaded;
  const { looked } = await resolveRadiusNames(loaded, context, async () => undefined);
  if (looked.length)
    notes.push(
      `RADIUS server names not resolved (--no-resolve): ${looked.map((n) => `"${n}"`).join(', ')} taken to resolve; the server looks each up while parsing and fails the line when one does not`,
    );
  return loaded;
}

/** pg_hba.conf as PostgreSQL reads it: the rows of pg_hba_file_rules, and the column of each error. */
export async function inspectHba(o: InspectOptions = {}): Promise<{
  file: string;
  rows: HbaFileRuleRow[];
  columns: Map<string, number>;
  /** file:line → the message the server only logs for a line it fails (the view shows less). */
  logged: Map<string, string>;
  notes: string[];
}> {
  const t = await target(o, 'hba_file', 'inspect hba');
  await t.client?.end();
  assertReadable(t.file, 'inspect hba');
  const opts = { context: t.context, ...t.reader };
  // The common case keeps only the view's rows (fast, small); a file naming RADIUS servers is
  // read whole, because resolving their names needs the parsed lines.
  const fast = loadHbaRows(t.file, opts);
  if (!fast.radius) return { file: t.file, rows: fast.rows, columns: fast.columns, logged: new Map(), notes: t.notes };
  const loaded = await radiusPass(loadHba(t.file, opts), t.context, o, t.notes);
  const columns = new Map<string, number>();
  const logged = new Map<string, string>();
  for (const [file, { lines }] of loaded.files) {
    for (const l of lines) {
      if (l.kind !== 'error') continue;
      if (l.column) columns.set(`${file}:${l.line}`, l.column);
      if (l.viewError !== undefined && l.viewError !== l.error) logged.set(`${file}:${l.line}`, l.error);
    }
  }
  return { file: t.file, rows: loaded.rows, columns, logged, notes: t.notes };
}

/** A row of postgresql.conf as pg_file_settings shows it (`applied` null: values not judged offline). */
export type ConfRow = Omit<FileSettingRow, 'applied'> & { applied: boolean | null };

/** postgresql.conf and its includes as PostgreSQL reads them; values judged only with a server. */
export async function inspectConf(
  o: InspectOptions = {},
): Promise<{ file: string; rows: ConfRow[]; judged: boolean; notes: string[] }> {
  const t = await target(o, 'config_file', 'inspect conf');
  try {
    assertReadable(t.file, 'inspect conf');
    if (t.client) {
      const { gucCatalogFromServer } = await import('../cluster/guc-catalog.js');
      const catalog = await gucCatalogFromServer(t.client);
      const dataDir = catalog.get('data_directory')?.setting;
      return {
        file: t.file,
        rows: fileSettingsRows(
          loadConf(t.file, { ...(dataDir ? { dataDir } : {}), ...t.reader, major: t.context.major }),
          catalog,
        ),
        judged: true,
        notes: t.notes,
      };
    }
    const loaded = loadConf(t.file, { major: t.context.major });
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
  const t = await target(o, 'hba_file', 'inspect who');
  let facts: MatchFacts = { memberOf: (u, g) => u === g, ...interfaceFacts(NO_SERVER) };
  const notes = [...t.notes];
  if (t.client) {
    try {
      const [{ memberOf, readRoleMemberships }, { serverHostInterfaces }] = await Promise.all([
        import('../cluster/roles.js'),
        import('../connect/server-host.js'),
      ]);
      const host = await serverHostInterfaces(t.client);
      facts = { memberOf: memberOf(await readRoleMemberships(t.client)), ...interfaceFacts(host) };
    } finally {
      await t.client.end();
    }
  } else {
    notes.unshift(
      "no server connected: +group and samerole are judged as if the user were a member of no group (pass --dsn to use the server's roles)",
    );
  }
  assertReadable(t.file, 'inspect who');
  const rules = (await radiusPass(loadHba(t.file, { context: t.context, ...t.reader }), t.context, o, notes)).rules;
  return { result: matchConnection(rules, { source: o.from, database: o.database, user: o.user }, facts), notes };
}
