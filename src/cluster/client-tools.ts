/**
 * The client tools a backup needs: pg_dump, pg_dumpall and pg_restore of a major at least the
 * server's (an older pg_dump refuses a newer server, or worse, misses what it does not know).
 * Looked for in the system's PostgreSQL directories, the npm-shipped ones and PATH; when none
 * fits, pgharden says which package provides them and refuses rather than dumping badly.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { listInstalls } from './install.js';
import { InputError } from '../core/errors.js';
import { runSync } from '../process/run-sync.js';

export interface ClientTools {
  major: number;
  bindir: string;
  pgDump: string;
  pgDumpall: string;
  pgRestore: string;
}

/** No pg_dump/pg_restore fit the server's major (the message names the package). */
export class BackupToolsError extends InputError {}

/** Directories that may hold PostgreSQL's client programs: each major's under /usr/lib/postgresql (a client package alone too), the installs, then PATH. */
function candidates(): string[] {
  const dirs = new Set<string>();
  if (existsSync('/usr/lib/postgresql'))
    for (const d of readdirSync('/usr/lib/postgresql')) dirs.add(join('/usr/lib/postgresql', d, 'bin'));
  for (const i of listInstalls()) dirs.add(i.bindir);
  for (const d of (process.env.PATH ?? '').split(':')) if (d) dirs.add(d);
  return [...dirs];
}

/** The major of a tool, from `--version` ("pg_dump (PostgreSQL) 15.18 (Debian ...)"). */
function majorOf(tool: string): number | null {
  try {
    const m = /\(PostgreSQL\) (\d+)/.exec(runSync(tool, ['--version'], { timeoutMs: 10_000 }).stdout);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Debian's /usr/bin/pg_dump is postgresql-common's pg_wrapper (a Perl script), not a pg_dump: it
 * runs one of the /usr/lib/postgresql/N/bin tools, which are candidates of their own, and which one
 * depends on the clusters configured on the box. Its `--version` costs a Perl start each time.
 */
const isPgWrapper = (tool: string): boolean => {
  try {
    return basename(realpathSync(tool)) === 'pg_wrapper';
  } catch {
    return false;
  }
};

/**
 * Tools of the server's major when present, else the newest newer one; refuses when there is none.
 * The search stops at the first tools of the server's own major (each candidate costs a process).
 */
export function findClientTools(serverMajor: number): ClientTools {
  const found: ClientTools[] = [];
  for (const bindir of candidates()) {
    const pgDump = join(bindir, 'pg_dump');
    if (!existsSync(pgDump) || !existsSync(join(bindir, 'pg_restore')) || !existsSync(join(bindir, 'pg_dumpall')))
      continue;
    if (isPgWrapper(pgDump)) continue;
    const major = majorOf(pgDump);
    if (major === null) continue;
    found.push({ major, bindir, pgDump, pgDumpall: join(bindir, 'pg_dumpall'), pgRestore: join(bindir, 'pg_restore') });
    if (major === serverMajor) break;
  }
  const fit = found.filter((f) => f.major >= serverMajor).sort((a, b) => a.major - b.major);
  const pick = fit.find((f) => f.major === serverMajor) ?? fit.at(-1);
  if (!pick) {
    const seen = found.length ? `found only ${found.map((f) => `${f.major} (${f.bindir})`).join(', ')}` : 'found none';
    throw new BackupToolsError(
      `A verified backup of a PostgreSQL ${serverMajor} server needs pg_dump, pg_dumpall and pg_restore of major ${serverMajor} or newer; ${seen}. ` +
        `Install postgresql-client-${serverMajor} (Debian/Ubuntu: from apt.postgresql.org; RHEL: postgresql${serverMajor}) and run again, ` +
        'or make the plan with --skip-backup (recorded in the plan and the report as a loud warning).',
    );
  }
  return pick;
}

/**
 * libpq's own psql: the newest install's, else one from another client directory, never Debian's
 * pg_wrapper, which ignores host and port inside a connection string, looks up a default cluster
 * and fails ("Invalid data directory for cluster …") while any cluster on the box is half made.
 */
export function findPsql(): string | undefined {
  const newestFirst = listInstalls()
    .sort((a, b) => b.major - a.major)
    .map((i) => i.bindir);
  return [...newestFirst, ...candidates()].map((d) => join(d, 'psql')).find((p) => existsSync(p) && !isPgWrapper(p));
}
