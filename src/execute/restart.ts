/**
 * Restarting the server, for the one plan that may (`pitr enable --restart`: archive_mode is read
 * only at server start). A Debian cluster restarts with `pg_ctlcluster VERSION NAME restart`,
 * which keeps its own start options; any other with the `pg_ctl` beside the running postgres
 * binary, as the server's OS user, which reuses the command line in postmaster.opts.
 */
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from '../process/run.js';
import { provePostmaster } from './postmaster.js';
import { StepError } from './step-error.js';

/** Debian's postgresql-common: cluster VERSION/NAME keeps its data in /var/lib/postgresql/VERSION/NAME. */
export function debianClusterOf(dataDirectory: string): { version: string; name: string } | null {
  const m = /^\/var\/lib\/postgresql\/(\d+)\/([^/]+)\/?$/.exec(dataDirectory);
  if (!m || !existsSync(`/etc/postgresql/${m[1]}/${m[2]}/postgresql.conf`)) return null;
  return { version: m[1]!, name: m[2]! };
}

/** The line an operator runs to restart this cluster. */
export function restartAdvice(dataDirectory: string): string {
  const d = debianClusterOf(dataDirectory);
  return d
    ? `pg_ctlcluster ${d.version} ${d.name} restart`
    : `pg_ctl restart -D ${dataDirectory} (as the server's OS user)`;
}

/** Where the running postmaster's stderr goes (a file, when pg_ctl -l started it), so the restarted one logs there too. */
function logFileOf(pid: number): string {
  try {
    const target = readlinkSync(`/proc/${pid}/fd/2`);
    if (target.startsWith('/') && !target.startsWith('/dev/') && statSync(target).isFile()) return target;
  } catch {
    // No access to the postmaster's descriptors: its output is dropped rather than held by pgharden.
  }
  return '/dev/null';
}

/** Restarts the cluster of `dataDirectory` and waits until it accepts connections again. */
export async function restartServer(dataDirectory: string): Promise<void> {
  const debian = debianClusterOf(dataDirectory);
  if (debian) {
    await run('pg_ctlcluster', [debian.version, debian.name, 'restart'], { timeoutMs: 180_000 });
    return;
  }
  const proof = provePostmaster(dataDirectory);
  if (proof.refusal !== null || proof.pid === null)
    throw new StepError(
      `Did not restart the server: ${proof.refusal ?? 'no pid'}. Restart it with: ${restartAdvice(dataDirectory)}`,
      true,
    );
  // postmaster.opts line 1: the postgres binary's path, then its quoted arguments.
  const binary = readFileSync(join(dataDirectory, 'postmaster.opts'), 'utf8').split(/\s/)[0]!;
  const owner = statSync(dataDirectory);
  await run(
    join(dirname(binary), 'pg_ctl'),
    ['restart', '-D', dataDirectory, '-m', 'fast', '-w', '-t', '120', '-l', logFileOf(proof.pid)],
    { timeoutMs: 180_000, uid: owner.uid, gid: owner.gid, cwd: '/' },
  );
}
