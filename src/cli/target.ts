import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import type pg from 'pg';
import { defaultContext, type ServerContext } from '../conf/context.js';
import type { ReadFile } from '../conf/load-hba.js';
import { CliError, EXIT } from './errors.js';

/** Which file an `inspect` command reads, and the server context it is judged in. */
export interface Target {
  file: string;
  context: ServerContext;
  /** Said to the user on stderr: assumptions made, what could not be seen. */
  notes: string[];
  /** Open when a server was used; the caller ends it. */
  client?: pg.Client;
  /** With a server: the loaders read includes as its OS user can (see cluster/server-reader.ts). */
  reader: { readFile?: (path: string) => ReadFile | undefined };
}

export interface TargetFlags {
  file?: string;
  dsn?: string | undefined;
  /** Debian's VERSION/NAME. */
  cluster?: string | undefined;
  pgVersion?: string;
  ssl?: string;
  /** The server setting naming the file when FILE is not given. */
  setting: 'hba_file' | 'ident_file' | 'config_file';
}

function flagContext(flags: TargetFlags, base: ServerContext): ServerContext {
  const context = { ...base };
  if (flags.pgVersion !== undefined) {
    const major = Number(flags.pgVersion);
    if (!Number.isInteger(major) || major < 14 || major > 18) {
      throw new CliError(`--pg-version "${flags.pgVersion}" is not a supported major (14 to 18)`, EXIT.usage);
    }
    context.major = major;
  }
  if (flags.ssl !== undefined) {
    if (flags.ssl !== 'on' && flags.ssl !== 'off') throw new CliError(`--ssl takes "on" or "off", not "${flags.ssl}"`, EXIT.usage);
    context.ssl = flags.ssl === 'on';
  }
  return context;
}

/**
 * With FILE and no --dsn: offline, judged as the newest major with ssl on unless flags say
 * otherwise. Otherwise: connects (--dsn or the libpq environment), takes the context from the
 * server and, without FILE, the file the server itself uses.
 */
export async function resolveTarget(flags: TargetFlags): Promise<Target> {
  // Absolute, as PostgreSQL names files in its views.
  if (flags.file !== undefined) flags = { ...flags, file: resolve(flags.file) };
  const offline = flagContext(flags, defaultContext()); // validates the flags before any connection
  if (flags.file !== undefined && flags.dsn === undefined && flags.cluster === undefined) {
    const notes =
      flags.pgVersion === undefined || flags.ssl === undefined
        ? [`judged as PostgreSQL ${flags.pgVersion ?? 18} with ssl ${flags.ssl ?? 'on'} (no server connected; set --pg-version/--ssl or --dsn)`]
        : [];
    return { file: flags.file, context: offline, notes, reader: {} };
  }
  const { connect } = await import('../cluster/connect.js');
  const { contextFromServer } = await import('../cluster/context.js');
  const client = await connect({ ...(flags.dsn !== undefined ? { dsn: flags.dsn } : {}), ...(flags.cluster !== undefined ? { cluster: flags.cluster } : {}) });
  try {
    const detected = await contextFromServer(client);
    const notes = detected.assumedBuild ? [detected.assumedBuild] : [];
    let file = flags.file;
    if (file === undefined) {
      const { rows } = await client.query<{ f: string }>(`SELECT current_setting('${flags.setting}') AS f`);
      file = rows[0]!.f;
    }
    const dataDir = (await client.query<{ d: string | null }>("SELECT current_setting('data_directory', true) AS d")).rows[0]!.d;
    const { serverReader } = await import('../cluster/introspect.js');
    return { file, context: flagContext(flags, detected.context), notes, client, reader: dataDir ? serverReader(dataDir, [file]) : {} };
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

/** Refuses, with the next step, a file the command cannot read (missing, or not ours to read). */
export function assertReadable(file: string, command: string): void {
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new CliError(
      `Cannot read "${file}": ${why}`,
      EXIT.usage,
      code === 'EACCES' ? `run as the server's OS user: sudo -u postgres pgharden ${command} ...` : `check the path: pgharden ${command} FILE`,
    );
  }
}
