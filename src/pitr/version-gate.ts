/**
 * Whether the installed pgBackRest can read the server's major at all. pgBackRest reads
 * pg_control and the WAL headers itself and knows each major by its control and catalog version:
 * a release older than the major archives nothing (`stanza-create` fails with "unexpected control
 * version"), while an `archive_mode=on` server keeps every segment in pg_wal until the disk fills.
 * So `pitr enable` refuses before it changes anything, and `pitr backup`, `pitr drill` and
 * `runbook` refuse to pretend on such a pair.
 */
import { RefusedError } from '../core/errors.js';
import { run } from '../process/run.js';

/**
 * The first pgBackRest release that reads each major, from pgBackRest's release notes and its
 * maintainers' answers. Majors below 16 are read by every release pgharden meets (2.45, Debian
 * bookworm's package, and later).
 */
const FIRST_READING: Record<number, string> = {
  // 2.46 (2023-05-22): "PostgreSQL 16 support" (pull request #2051: catalog version and WAL magic
  // for 16); confirmed in pgbackrest issue #2198 ("The release notes for v2.46 indicate support").
  16: '2.46',
  // 2.52 (2024-05-27) is titled "PostgreSQL 17 Support", but it carried a beta's catalog version:
  // released 17 (catalog 202406281) fails on it with VersionNotSupportedError (issues #2465,
  // #2494). The maintainer: "PG17 support was introduced in pgBackRest 2.53.1" (issue #2618).
  17: '2.53.1',
  // 2.55.0 (2025-04-21): "PostgreSQL 18 experimental support" (pull request #2603: catalog
  // version and WAL magic for 18). The newest row of this table: a later major is refused.
  18: '2.55.0',
};

/** The newest major the table knows. */
const NEWEST = Math.max(...Object.keys(FIRST_READING).map(Number));

/** `2.53.1` → [2, 53, 1]; null for text that is not a release number. */
export function parseRelease(text: string): number[] | null {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

function atLeast(have: number[], want: number[]): boolean {
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i]! > want[i]!;
  return true;
}

/** Null when `installed` reads `major`; else the reason and the release to install (null: none known). */
export function versionGap(installed: string, major: number): { reason: string; need: string | null } | null {
  const have = parseRelease(installed);
  if (!have) return { reason: `pgBackRest's version "${installed}" could not be read`, need: null };
  if (major > NEWEST)
    return {
      reason: `pgharden knows no pgBackRest release that reads PostgreSQL ${major} (its table ends at ${NEWEST})`,
      need: null,
    };
  const want = FIRST_READING[major];
  if (!want || atLeast(have, parseRelease(want)!)) return null;
  return {
    reason: `pgBackRest ${installed} cannot read PostgreSQL ${major}: ${want} is the first release that does`,
    need: want,
  };
}

/** `pgbackrest version` → `2.45`. */
export async function installedPgBackRest(): Promise<string> {
  const { stdout } = await run('pgbackrest', ['version'], { timeoutMs: 30_000, cwd: '/' });
  return stdout.trim().replace(/^pgBackRest\s+/, '');
}

/** Refuses (exit 3) when the installed pgBackRest cannot read `major`; `what` names the command. */
export async function requirePgBackRestFor(major: number, what: string): Promise<void> {
  let installed: string;
  try {
    installed = await installedPgBackRest();
  } catch (err) {
    throw new RefusedError(
      `${what}: pgBackRest could not be run (${(err as Error).message.split('\n')[0]}). Nothing was changed`,
      'install pgBackRest (apt-get install pgbackrest, from apt.postgresql.org for a current release)',
    );
  }
  const gap = versionGap(installed, major);
  if (!gap) return;
  throw new RefusedError(
    `${what}: ${gap.reason}. Nothing was changed`,
    gap.need
      ? `install pgBackRest ${gap.need} or later (apt.postgresql.org: apt-get install pgbackrest), check with pgbackrest version, and run this again`
      : `use a PostgreSQL major up to ${NEWEST}, or a pgharden release that knows a pgBackRest for PostgreSQL ${major}`,
  );
}
