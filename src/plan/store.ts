/**
 * The plan directory: `plan.json` (canonical JSON, no secret), `secrets` (0600), `rollback.sh`
 * (the fallback that needs no pgharden, written before anything is applied), and later the
 * journal, backups and report. The directory is 0700: backups hold the files as they were.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../execute/canonical.js';
import { planId } from './planner.js';
import type { Plan } from './types.js';

export const PLAN_FILE = 'plan.json';
export const SECRETS_FILE = 'secrets';
export const ROLLBACK_FILE = 'rollback.sh';

/** A plan directory that cannot be used, with what to do. */
export class PlanFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanFileError';
  }
}

function writeNew(path: string, text: string, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates the plan directory; refuses one that already holds a plan. */
export function createPlanDir(dir: string): void {
  if (existsSync(join(dir, PLAN_FILE)) || existsSync(join(dir, SECRETS_FILE))) {
    throw new PlanFileError(`${dir} already holds a plan; choose another --out, or remove that directory if the plan was never applied`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** What an operator runs instead, when the postmaster cannot be signalled safely. */
export function reloadAdvice(dataDirectory: string): string {
  // Debian's postgresql-common keeps cluster VERSION/NAME's data in /var/lib/postgresql/VERSION/NAME.
  const debian = /^\/var\/lib\/postgresql\/(\d+)\/([^/]+)\/?$/.exec(dataDirectory);
  const pgCtl = `pg_ctl reload -D ${dataDirectory} (as the server's OS user)`;
  return debian ? `pg_ctlcluster ${debian[1]} ${debian[2]} reload, or ${pgCtl}` : pgCtl;
}

const shq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * SIGHUP only to this data directory's postmaster: after a crash, postmaster.pid can name a pid the
 * kernel has since given to another process. The pid must run postgres, in this directory (the
 * postmaster's working directory), and have started when postmaster.pid's line 3 says (epoch
 * seconds; /proc/PID/stat field 22 counts clock ticks since boot).
 */
const RELOAD_POSTMASTER = `reload_postmaster() {
  dir=$1 advice=$2
  pid=$(sed -n 1p "$dir/postmaster.pid" 2>/dev/null || true)
  start=$(sed -n 3p "$dir/postmaster.pid" 2>/dev/null || true)
  why=''
  case $pid in ''|*[!0-9]*) why="$dir/postmaster.pid holds no pid (is the server running?)" ;; esac
  case $start in ''|*[!0-9]*) why=\${why:-"$dir/postmaster.pid holds no start time"} ;; esac
  if [ -z "$why" ]; then
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    exe=\${exe% (deleted)}
    case \${exe##*/} in
      postgres|postmaster) ;;
      '') why="no process $pid that can be inspected" ;;
      *) why="pid $pid runs \${exe##*/}, not postgres" ;;
    esac
  fi
  if [ -z "$why" ] && [ "$(readlink "/proc/$pid/cwd")" != "$(cd "$dir" && pwd -P)" ]; then
    why="pid $pid is the postgres of $(readlink "/proc/$pid/cwd"), not of $dir"
  fi
  if [ -z "$why" ]; then
    ticks=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f20)
    hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
    boot=$(sed -n 's/^btime //p' /proc/stat)
    off=$((boot + ticks / hz - start))
    if [ "$off" -lt -2 ] || [ "$off" -gt 2 ]; then why="pid $pid did not start when postmaster.pid says"; fi
  fi
  if [ -n "$why" ]; then
    echo "rollback.sh: the files are restored, but the pid in $dir/postmaster.pid was not signalled: $why." >&2
    echo "Reload the server with: $advice" >&2
    exit 1
  fi
  kill -HUP "$pid"
}`;

export function rollbackScript(plan: Plan): string {
  // The plan's one-liner ends with a bare kill of postmaster.pid's first line; the script proves the pid first.
  const shell = plan.rollback.shell;
  const kill = shell.startsWith('kill -HUP ') ? 0 : shell.lastIndexOf(' && kill -HUP ');
  const restores = kill < 0 ? shell : shell.slice(0, kill);
  return [
    '#!/bin/sh',
    `# Rollback for pgharden plan ${plan.name} (${plan.id}), needing no pgharden and no database login:`,
    '# puts back every file the plan touches, byte for byte with its mode and owner, from the',
    '# backups taken at the start of apply, then signals the postmaster to reload.',
    '# Roles the plan created are left in place (harmless without the rules that admitted them).',
    'set -e',
    RELOAD_POSTMASTER,
    ...(restores ? [restores] : []),
    `reload_postmaster ${shq(plan.binding.dataDirectory)} ${shq(reloadAdvice(plan.binding.dataDirectory))}`,
    '',
  ].join('\n');
}

/** Writes plan.json and rollback.sh into a directory made with createPlanDir (secrets first, by the caller). */
export function savePlan(dir: string, plan: Plan): void {
  writeNew(join(dir, PLAN_FILE), `${canonicalJson(plan)}\n`, 0o600);
  writeNew(join(dir, ROLLBACK_FILE), rollbackScript(plan), 0o700);
}

/** Reads and checks plan.json: it parses, and its id is the hash of its content. */
export function loadPlan(dir: string): Plan {
  const file = join(dir, PLAN_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PlanFileError(code === 'ENOENT' ? `No plan at ${file}; make one with: pgharden plan --spec harden.yaml --out ${dir}` : `Cannot read ${file}: ${(err as Error).message}`);
  }
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch (err) {
    throw new PlanFileError(`${file} is not valid JSON (${(err as Error).message}); has it been edited? Make a new plan`);
  }
  if (plan.schemaVersion !== 1 || typeof plan.id !== 'string' || !Array.isArray(plan.steps)) {
    throw new PlanFileError(`${file} is not a pgharden plan of a version this pgharden reads (schemaVersion ${String(plan.schemaVersion)})`);
  }
  if (planId(plan) !== plan.id) {
    throw new PlanFileError(`${file} does not match its id ${plan.id.slice(0, 12)}…: it has been edited since it was made. Nothing was done; make a new plan (pgharden plan --spec ...)`);
  }
  return plan;
}
