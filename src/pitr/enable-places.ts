/**
 * Where `pitr enable` may put pgBackRest's repository, configuration file and log, once the server
 * is known: it never takes over what it did not create. System directories, the data directory,
 * the server's configuration directory and files, a repository someone else owns or filled, a
 * configuration file pgharden did not write and a log directory the server's OS user cannot write
 * are refused, every reason in one message (exit 3), before anything changes.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type pg from 'pg';
import { RefusedError } from '../core/errors.js';
import type { ServerOsUser } from './pgbackrest.js';

/** The server's configuration files: postgresql.conf and its includes, postgresql.auto.conf, pg_hba.conf, pg_ident.conf (and their includes from 16). */
export async function serverFiles(client: pg.Client, major: number): Promise<string[]> {
  const q = async (sql: string) => (await client.query<{ f: string | null }>(sql)).rows.map((r) => r.f);
  const files = [
    ...(await q(`SELECT current_setting('config_file') AS f UNION SELECT current_setting('hba_file')
      UNION SELECT current_setting('ident_file') UNION SELECT DISTINCT sourcefile FROM pg_file_settings`)),
    ...(major >= 16
      ? await q(
          'SELECT DISTINCT file_name AS f FROM pg_hba_file_rules UNION SELECT file_name FROM pg_ident_file_mappings',
        )
      : []),
  ];
  return [...new Set(files.filter((f): f is string => !!f))];
}

/** What the placement checks know of the server. */
export interface ServerPlaces {
  dataDirectory: string;
  /** postgresql.conf's path: its directory (Debian's /etc/postgresql/V/N) holds the server's other files. */
  configFile: string;
  files: string[];
  user: ServerOsUser;
}

// Directories the system or its users own; the repository, the configuration or the log in one of
// them would mix pgBackRest's files into theirs (and a repository's mkdir would chown it).
const SYSTEM = new Set([
  ...['/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/media', '/mnt'],
  ...['/opt', '/proc', '/root', '/run', '/sbin', '/snap', '/srv', '/sys', '/tmp', '/usr', '/var', '/lost+found'],
  ...['/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib64', '/usr/libexec', '/usr/local', '/usr/share', '/usr/include'],
  ...['/usr/src', '/usr/local/bin', '/usr/local/sbin', '/usr/local/lib', '/usr/local/share', '/usr/local/etc'],
  ...['/var/lib', '/var/log', '/var/tmp', '/var/run', '/var/cache', '/var/spool', '/var/mail', '/var/backups'],
  ...['/var/opt', '/var/www', '/var/local', '/var/lock', '/var/lib/postgresql', '/var/log/postgresql'],
  ...['/etc/postgresql', '/etc/postgresql-common', '/etc/pgbackrest', '/etc/pgbackrest/conf.d', '/etc/ssl'],
  ...['/run/postgresql', '/usr/lib/postgresql', '/usr/share/postgresql'],
]);
const PSEUDO = ['/proc', '/sys', '/dev', '/boot'];

/** The path with symlinks resolved as far as it exists (the rest appended as written). */
function real(path: string): string {
  const p = resolve(path);
  if (existsSync(p)) return realpathSync(p);
  const parent = dirname(p);
  return parent === p ? p : join(real(parent), basename(p));
}

const within = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);

/** Why `path` may not hold pgBackRest's files at all. */
function placeProblems(flag: string, path: string, s: ServerPlaces): string[] {
  const p = real(path);
  const data = real(s.dataDirectory);
  const confDir = real(dirname(s.configFile));
  const out: string[] = [];
  if (SYSTEM.has(p) || dirname(p) === '/home' || PSEUDO.some((d) => within(p, d)))
    out.push(`${flag} ${path} is a system directory (or a user's home)`);
  if (within(p, data)) out.push(`${flag} ${path} is inside the data directory ${s.dataDirectory}`);
  else if (within(p, confDir) && confDir !== '/')
    out.push(`${flag} ${path} is inside the server's configuration directory ${dirname(s.configFile)}`);
  if (s.files.some((f) => real(f) === p)) out.push(`${flag} ${path} is one of the server's configuration files`);
  return out;
}

/** The command that makes `dir` the server OS user's, as pgBackRest needs it. */
const PREPARE = (user: ServerOsUser, dir: string) =>
  `install -d -o ${user.name} -g ${groupName(user.gid)} -m 0750 ${dir}`;

function groupName(gid: number): string {
  try {
    const line = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(gid));
    return line?.split(':')[0] || String(gid);
  } catch {
    return String(gid);
  }
}

/** An existing repository is used only when it is the server user's and empty (or already pgBackRest's: archive/, backup/). */
function repoProblems(repo: string, user: ServerOsUser): string[] {
  if (!existsSync(repo)) return [];
  const st = statSync(repo);
  if (!st.isDirectory()) return [`--repo ${repo} exists and is not a directory`];
  const entries = readdirSync(repo);
  const pgbackrests = entries.every((e) => e === 'archive' || e === 'backup');
  const reasons = [
    ...(st.uid !== user.uid ? [`is owned by uid ${st.uid}, not by the server's OS user ${user.name}`] : []),
    ...(pgbackrests
      ? []
      : [
          `holds ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''})`,
        ]),
  ];
  return reasons.length
    ? [
        `--repo ${repo} already exists and ${reasons.join(' and ')}: pgharden uses an existing repository only when it is empty and the server's OS user's. Prepare a new one with: ${PREPARE(user, repo)}`,
      ]
    : [];
}

/** The --config file may exist only as one pgharden wrote (its first line says so). */
function configProblems(configFile: string): string[] {
  if (!existsSync(configFile)) return [];
  if (!statSync(configFile).isFile()) return [`--config ${configFile} exists and is not a file`];
  // Its first line only: the file may be anything, of any size.
  const head = Buffer.alloc(512);
  const fd = openSync(configFile, 'r');
  const n = (() => {
    try {
      return readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  })();
  const first = head.subarray(0, n).toString('utf8').split('\n', 1)[0] ?? '';
  return /^# pgBackRest for PostgreSQL .*, written by pgharden pitr enable /.test(first)
    ? []
    : [
        `--config ${configFile} already exists and pgharden did not write it: choose a new file (the default is /etc/pgbackrest/conf.d/STANZA.conf)`,
      ];
}

/** The groups of an OS user: its primary group and those /etc/group lists it in. */
function groupsOf(user: ServerOsUser): Set<number> {
  const ids = new Set([user.gid]);
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [, , gid, members] = line.split(':');
      if (members?.split(',').includes(user.name)) ids.add(Number(gid));
    }
  } catch {
    // No /etc/group: the primary group only.
  }
  return ids;
}

/** Whether `user` may do `bits` (4 read, 2 write, 1 search) in an existing `path`, by its mode bits. */
function may(path: string, user: ServerOsUser, groups: Set<number>, bits: number): boolean {
  const st = statSync(path);
  if (user.uid === 0) return true;
  const shift = st.uid === user.uid ? 6 : groups.has(st.gid) ? 3 : 0;
  return ((st.mode >> shift) & bits) === bits;
}

/** The log directory must exist (pgBackRest does not make it) and be writable by the server's OS user. */
function logProblems(flag: string, logPath: string, user: ServerOsUser): string[] {
  if (!existsSync(logPath))
    return [
      `${flag} ${logPath} does not exist, and pgBackRest does not create it (it would log nothing). Create it with: ${PREPARE(user, logPath)}`,
    ];
  const groups = groupsOf(user);
  const p = real(logPath);
  const parents: string[] = [];
  for (let d = dirname(p); d !== dirname(d); d = dirname(d)) parents.push(d);
  const blocked = ['/', ...parents].find((d) => !may(d, user, groups, 1));
  if (!statSync(p).isDirectory()) return [`${flag} ${logPath} is not a directory`];
  if (blocked || !may(p, user, groups, 3))
    return [
      `${flag} ${logPath} is not writable by the server's OS user ${user.name}${blocked ? ` (it cannot enter ${blocked})` : ''}, so pgBackRest could not log there. Make it so with: ${PREPARE(user, logPath)}`,
    ];
  return [];
}

/** Every reason the paths may not be used, now that the server is known; [] when they may. */
export function placementProblems(
  o: { repo: string | null; configFile: string; logPath?: string | undefined },
  s: ServerPlaces,
): string[] {
  const log = o.logPath ?? '/var/log/pgbackrest';
  const logFlag = o.logPath ? '--log-path' : "--log-path (pgBackRest's default)";
  const repo = o.repo === null ? [] : [...placeProblems('--repo', o.repo, s), ...repoProblems(o.repo, s.user)];
  const config = [...placeProblems('--config', o.configFile, s), ...configProblems(o.configFile)];
  const logged = placeProblems(logFlag, log, s);
  return [...repo, ...config, ...logged, ...(logged.length ? [] : logProblems(logFlag, log, s.user))];
}

/** Throws the refusal (exit 3) naming every reason. */
export function refusePlacement(problems: string[]): void {
  if (problems.length)
    throw new RefusedError(
      `pitr enable will not put pgBackRest's files there (nothing was changed):\n  - ${problems.join('\n  - ')}`,
      "choose paths pgBackRest can own, e.g. --repo /var/lib/pgbackrest (empty, the server OS user's) and --log-path /var/log/pgbackrest",
    );
}
