/**
 * `pgharden plan`'s core: gathers what the planner needs from the live server and the files
 * (read-only), generates the new roles' passwords, calls the pure planner and saves the plan
 * directory. Nothing on the server or in any existing file is changed.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type pg from 'pg';
import { firstDirectory } from '../conf/guc-list.js';
import { findClientTools } from '../cluster/client-tools.js';
import { connect, osUserName, recordTarget, type ConnectOptions } from '../connect/connect.js';
import { introspect } from '../cluster/introspect.js';
import { parseConf } from '../conf/guc.js';
import { readCapped, UnreadableFileError } from '../conf/read-capped.js';
import { chooseSite, rewriteSite, type Site } from '../consumers/edit.js';
import { dsnPaths, sessionPaths, type ConsumerPath, type ServerEndpoints } from './consumer-route.js';
import { specLineOf, type Spec } from '../spec/spec.js';
import { observeFile } from './binding.js';
import { configFacts } from './config-facts.js';
import { PlanError, type ConsumerFile, type PlanInput, type TableFacts } from './input.js';
import { buildPlan } from './planner.js';
import { newPlanKey, newSecrets, secretsText, sha256Text, type Secrets } from './secrets.js';
import { writePlanDir, type ExtraFile } from './plan-dir.js';
import { prepareHardenTls, tlsDecision } from './harden-tls-make.js';
import { loadTemplates } from './templates.js';
import { pghardenRoles, removedConsumers, takenOverGrants, takenOverPrivileges } from './live-state.js';
import type { Plan } from './plan-types.js';

export interface MakePlanOptions {
  spec: Spec;
  /** The spec file: relative paths in it are relative to its directory. */
  specFile: string;
  /** plans/NAME; absolute or relative to the working directory. */
  out: string;
  connection: ConnectOptions;
  version: string;
  now: Date;
  /** No verified backup before the change (said loudly in the plan and the report). */
  skipBackup?: boolean;
}

/** The settings postgresql.auto.conf holds (ALTER SYSTEM's file), by lower-case name; none when it is absent. */
export function autoConfSettings(autoPath: string): Record<string, string> {
  const settings: Record<string, string> = {};
  try {
    for (const l of parseConf(readFileSync(autoPath, 'utf8'), { file: autoPath }))
      if (l.kind === 'setting') settings[l.name.toLowerCase()] = l.value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return settings;
}

/** A path with its links resolved, so two spellings of one directory compare equal. */
function samePath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The tables of the spec's schemas in one database, and which of those schemas exist there. */
async function tablesOf(
  admin: pg.Client,
  connection: ConnectOptions,
  db: string,
  schemas: string[],
): Promise<{ tables: TableFacts[]; schemas: string[] }> {
  const sql = `SELECT n.nspname AS schema, c.relname AS name,
      (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LIMIT 1) AS "firstColumn"
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) ORDER BY 1, 2`;
  const read = async (c: pg.Client) => ({
    tables: (await c.query<TableFacts>(sql, [schemas])).rows,
    schemas: (
      await c.query<{ n: string }>('SELECT nspname AS n FROM pg_namespace WHERE nspname = ANY($1)', [schemas])
    ).rows.map((r) => r.n),
  });
  const current = (await admin.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
  if (current === db) return read(admin);
  const c = await connect({ ...connection, database: db });
  try {
    return await read(c);
  } finally {
    await c.end();
  }
}

/** The file must be a regular file of bounded size (a symlink is followed): a FIFO or /dev/zero would never finish reading. */
function readConsumerText(name: string, path: string): string {
  try {
    return readCapped(path).toString('utf8');
  } catch (err) {
    const why =
      err instanceof UnreadableFileError ? err.reason : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    throw new PlanError([`consumer "${name}": cannot read ${path} (${why}); fix "file" in the spec`]);
  }
}

/** Every path the consumer reaches the server by (its DSN, its live sessions); a DSN for another server is refused. */
async function consumerPaths(
  c: Spec['consumers'][number],
  site: Site,
  oldUser: string,
  server: ServerEndpoints,
  admin: pg.Client,
): Promise<ConsumerPath[]> {
  const dsn = await dsnPaths(site, server);
  if (dsn.problems.length) throw new PlanError(dsn.problems.map((p) => `consumer "${c.name}": ${p}`));
  const sessions = await sessionPaths(admin, {
    user: oldUser,
    ...(c.application ? { application: c.application } : {}),
    ...(c.clientAddress ? { clientAddress: c.clientAddress } : {}),
  });
  return [...dsn.paths, ...sessions];
}

async function consumerFile(
  c: Spec['consumers'][number],
  specDir: string,
  password: string,
  server: ServerEndpoints,
  admin: pg.Client,
): Promise<Omit<ConsumerFile, 'binding'>> {
  const path = isAbsolute(c.file) ? c.file : resolve(specDir, c.file);
  const text = readConsumerText(c.name, path);
  const site = chooseSite(path, text, c.key, c.format);
  const { user: oldUser, database } = site;
  if (!oldUser)
    throw new PlanError([
      `consumer "${c.name}": the connection string in ${path} (line ${site.line}) names no user; pgharden needs the old user to know which sessions to wait for`,
    ]);
  const rewritten = rewriteSite(path, text, {
    ...(c.key ? { key: c.key } : {}),
    ...(c.format ? { format: c.format } : {}),
    user: c.role,
    password,
  });
  const key = c.key ?? site.key ?? undefined;
  return {
    name: c.name,
    path,
    format: c.format ?? (site.kind === 'pgpass' ? 'pgpass' : site.kind === 'service' ? 'pg_service' : 'text'),
    text,
    ...(key ? { key } : {}),
    oldUser,
    database,
    rewritten,
    paths: await consumerPaths(c, site, oldUser, server, admin),
  };
}

/** Makes and saves the plan; returns it with the directory it was saved in. Problems name their spec line. */
export async function makePlan(o: MakePlanOptions): Promise<{ plan: Plan; dir: string | null }> {
  const made = await withSpecLines(o, () => make(o));
  // Nothing differs from the spec: no directory, so no secret is written anywhere.
  if (made.plan.nothingToDo) return { plan: made.plan, dir: null };
  const dir = resolve(o.out);
  writePlanDir(dir, made.plan, made.planKey, made.secretsText, made.files);
  return { plan: made.plan, dir };
}

/**
 * The plan `makePlan` would save, made in memory only (`plan --check`): nothing is written, except
 * that a spec whose tls section rides with the plan has openssl make its certificates in a private
 * temporary directory, removed before this returns. The secrets come back for the review's diffs
 * and its redaction, and must go nowhere else; `dir` is where `makePlan` would save it.
 */
export async function checkPlan(o: MakePlanOptions): Promise<{ plan: Plan; secrets: Secrets; dir: string }> {
  const made = await withSpecLines(o, () => make(o));
  return { plan: made.plan, secrets: made.secrets, dir: resolve(o.out) };
}

/** Runs `f`; a PlanError's problems get the spec line they are about. */
async function withSpecLines<T>(o: MakePlanOptions, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    let lineOf: (problem: string) => number | undefined = () => undefined;
    try {
      lineOf = specLineOf(readCapped(o.specFile).toString('utf8'));
    } catch {
      // The spec was read once already; without it the problems keep their spec paths.
    }
    throw new PlanError(
      err.problems.map((p) => (lineOf(p) ? `${o.specFile}:${lineOf(p)}: ${p}` : p)),
      err.refused,
    );
  }
}

/** The plan with its secrets and the files its directory keeps beside it (tls/), in memory. */
async function make(
  o: MakePlanOptions,
): Promise<{ plan: Plan; planKey: string; secretsText: string; secrets: Secrets; files: ExtraFile[] }> {
  const dir = resolve(o.out);
  const specDir = dirname(resolve(o.specFile));
  const admin = await connect(o.connection);
  let input: PlanInput;
  let secrets: ReturnType<typeof newSecrets>;
  let tlsFiles: ExtraFile[] = [];
  let tlsNotice: string | null = null;
  try {
    const snapshot = await introspect(admin, o.spec.target.dataDir ? { dataDir: o.spec.target.dataDir } : {});
    // Refuse now, not at apply time, when no pg_dump can back this server up.
    if (!o.skipBackup) findClientTools(snapshot.major);
    if (!snapshot.hba.loaded)
      throw new PlanError([
        `cannot read pg_hba.conf (${snapshot.hba.error}); run pgharden on the server's host, as root or the server's OS user`,
      ]);
    const serverDir = snapshot.settings.data_directory;
    if (
      o.spec.target.dataDir &&
      serverDir &&
      samePath(resolve(specDir, o.spec.target.dataDir)) !== samePath(serverDir)
    ) {
      throw new PlanError([
        `target.dataDir: ${o.spec.target.dataDir}, but the server's data_directory is ${serverDir}: the spec names another cluster; fix target.dataDir (or remove it), or connect to the server it names`,
      ]);
    }
    const dataDir = serverDir ?? (o.spec.target.dataDir ? resolve(specDir, o.spec.target.dataDir) : undefined);
    if (!dataDir)
      throw new PlanError([
        'the data directory is not visible to this role; set target.dataDir in the spec, or connect as a superuser',
      ]);
    const extra = (
      await admin.query<{ port: string; sockets: string }>(
        "SELECT current_setting('port') AS port, current_setting('unix_socket_directories') AS sockets",
      )
    ).rows[0]!;
    const dataStat = statSync(dataDir);
    const templates = await loadTemplates();
    if (o.spec.templates)
      for (const [k, v] of await loadTemplates(resolve(specDir, o.spec.templates))) templates.set(k, v);
    const tables = new Map<string, TableFacts[]>();
    const schemas = new Map<string, string[]>();
    for (const db of new Set(o.spec.roles.flatMap((r) => r.databases))) {
      if (!snapshot.databases.includes(db)) continue;
      const found = await tablesOf(admin, o.connection, db, [...new Set(o.spec.roles.map((r) => r.schema))]);
      tables.set(db, found.tables);
      schemas.set(db, found.schemas);
    }
    const liveRoles = new Set(snapshot.roles.map((r) => r.name));
    // Day two: only the roles that do not exist yet get a password; a role taken over keeps its own.
    secrets = newSecrets(o.spec.roles.filter((r) => !liveRoles.has(r.name)).map((r) => r.name));
    const server: ServerEndpoints = {
      port: Number(extra.port),
      socketDirs: extra.sockets
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
      listen: snapshot.settings.listen_addresses ?? '',
    };
    const consumers: ConsumerFile[] = [];
    const consumersInSync: NonNullable<PlanInput['consumersInSync']> = [];
    const consumerProblems: string[] = [];
    for (const c of o.spec.consumers) {
      try {
        const f = await consumerFile(c, specDir, secrets[c.role]?.password ?? '', server, admin);
        if (f.oldUser === c.role) consumersInSync.push({ name: c.name, path: f.path, role: c.role });
        else consumers.push({ ...f, binding: observeFile(f.path) });
      } catch (err) {
        if (!(err instanceof PlanError)) throw err;
        consumerProblems.push(...err.problems);
      }
    }
    if (consumerProblems.length) throw new PlanError(consumerProblems);
    // The spec's tls section rides with the hardening when every consumer moves in this plan.
    const tls = tlsDecision({
      spec: o.spec,
      specFile: o.specFile,
      consumers,
      inSync: consumersInSync,
      liveCertFile: snapshot.settings.ssl === 'on' ? (snapshot.settings.ssl_cert_file ?? null) : null,
      snapshot,
    });
    let hardenTls: PlanInput['tls'];
    if (tls === 'carry') {
      const prepared = await prepareHardenTls({
        spec: o.spec,
        specDir,
        consumers,
        configFile: snapshot.settings.config_file!,
        planDir: dir,
        label: `port ${extra.port} system ${snapshot.systemIdentifier ?? ''}`,
      });
      consumers.splice(0, consumers.length, ...prepared.consumers);
      hardenTls = prepared.tls;
      tlsFiles = prepared.files;
    } else if (tls !== 'off') tlsNotice = tls.notice;
    const autoPath = join(dataDir, 'postgresql.auto.conf');
    const autoSettings = autoConfSettings(autoPath);
    const hbaFile = snapshot.hba.file;
    input = {
      name: o.out.replace(/\/+$/, '').split('/').at(-1)!,
      planDir: dir,
      createdAt: o.now.toISOString(),
      version: o.version,
      target: recordTarget(o.connection),
      snapshot,
      port: Number(extra.port),
      socketDir: firstDirectory(extra.sockets) ?? null,
      serverUser: { name: osUserName(dataStat.uid), uid: dataStat.uid, gid: dataStat.gid },
      hba: { file: hbaFile, ...snapshot.hba.loaded.files.get(hbaFile)!, binding: observeFile(hbaFile) },
      configFile: observeFile(snapshot.settings.config_file!),
      autoConf: { ...observeFile(autoPath), settings: autoSettings },
      identFile: snapshot.settings.ident_file ? observeFile(snapshot.settings.ident_file) : null,
      configFacts: configFacts(snapshot.settings.config_file!, dataDir),
      spec: o.spec,
      templates,
      tables,
      schemas,
      consumers,
      consumersInSync,
      removedConsumers: removedConsumers(dir, o.spec),
      pghardenRoles: await pghardenRoles(admin),
      privileges: await takenOverPrivileges(admin, o.connection, o.spec, liveRoles),
      grants: await takenOverGrants(admin, o.connection, o.spec, liveRoles),
      secretsSha256: '',
      ...(o.skipBackup ? { skipBackup: true } : {}),
      ...(hardenTls ? { tls: hardenTls } : {}),
      ...(tlsNotice ? { tlsNotice } : {}),
    };
  } finally {
    await admin.end();
  }
  const planKey = newPlanKey();
  const text = secretsText(secrets, planKey);
  input.secretsSha256 = sha256Text(text);
  return { plan: buildPlan(input), planKey, secretsText: text, secrets, files: tlsFiles };
}
