/**
 * The plan directory: `plan.json` (canonical JSON, no secret), `secrets` (0600), `rollback.sh`
 * (the fallback that needs no pgharden, written before anything is applied), and later the
 * journal, backups and report. The directory is 0700: backups hold the files as they were.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { canonicalJson } from '../core/canonical.js';
import { planId } from './planner.js';
import { readPlanKey } from './secrets.js';
import type { Plan } from './plan-types.js';
import { EXIT, PghardenError, type ExitCode } from '../core/errors.js';
import { PLAN_FILE, ROLLBACK_FILE, SECRETS_FILE } from './files.js';
import { refuseForeignSavedCopies, refuseUntrustedPlanDir } from './dir-trust.js';

/** HMAC-SHA256 of plan.json's canonical text, keyed with the secrets file's `planKey`. */
export const SIGNATURE_FILE = 'plan.hmac';

export { PLAN_FILE, ROLLBACK_FILE, SECRETS_FILE };

/** A plan directory that cannot be used, with what to do. */
export class PlanFileError extends PghardenError {
  /** `refused`: the plan was changed since it was made (exit 3), rather than missing or unreadable (exit 2). */
  readonly exitCode: ExitCode;

  constructor(
    message: string,
    readonly refused = false,
    next?: string,
  ) {
    super(message, next);
    this.exitCode = refused ? EXIT.refused : EXIT.usage;
  }
}

/** Creates `path` (never replacing a file) with `text`, fsynced. */
export function writeNew(path: string, text: string | Buffer, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    if (typeof text === 'string') writeSync(fd, text);
    else writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Refuses a directory that already holds a plan. */
export function refuseExistingPlan(dir: string): void {
  if (existsSync(join(dir, PLAN_FILE)) || existsSync(join(dir, SECRETS_FILE))) {
    throw new PlanFileError(
      `${dir} already holds a plan; choose another --out, or remove that directory if the plan was never applied`,
    );
  }
}

/** Creates the plan directory; refuses one that already holds a plan. */
export function createPlanDir(dir: string): void {
  refuseExistingPlan(dir);
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

/** A saved copy must be the one apply saved (its sha256 as the plan recorded the file), or nothing is restored. */
const VERIFY_BACKUP = `verify_backup() {
  got=$(sha256sum < "$1") || { echo "rollback.sh: cannot read $1: nothing was restored." >&2; exit 3; }
  got=\${got%% *}
  if [ "$got" != "$2" ]; then
    echo "rollback.sh: $1 is not the copy pgharden saved (its sha256 is $got, the plan recorded $2): nothing was restored. Find out who changed it; put the live files back by hand from copies you trust." >&2
    exit 3
  fi
}`;

export function rollbackScript(plan: Plan): string {
  const restores = plan.rollback.shell;
  return [
    '#!/bin/sh',
    `# Rollback for pgharden plan ${plan.name} (${plan.id}), needing no pgharden and no database login:`,
    '# puts back every file the plan touches, byte for byte with its mode and owner, from the',
    '# backups taken at the start of apply (each checked against its sha256 first), then signals',
    '# the postmaster to reload.',
    '# Roles the plan created are left in place (harmless without the rules that admitted them).',
    'set -e',
    VERIFY_BACKUP,
    RELOAD_POSTMASTER,
    ...(restores ? [restores] : []),
    `reload_postmaster ${shq(plan.binding.dataDirectory)} ${shq(reloadAdvice(plan.binding.dataDirectory))}`,
    '',
  ].join('\n');
}

const hmacOf = (key: string, text: string) =>
  createHmac('sha256', Buffer.from(key, 'hex')).update(text, 'utf8').digest('hex');

/** The files of a saved plan besides its secrets, in the order they are written: name, text, mode. */
export function planFiles(plan: Plan, planKey: string): { name: string; text: string; mode: number }[] {
  const text = `${canonicalJson(plan)}\n`;
  return [
    { name: PLAN_FILE, text, mode: 0o600 },
    { name: SIGNATURE_FILE, text: `${hmacOf(planKey, text)}\n`, mode: 0o600 },
    { name: ROLLBACK_FILE, text: rollbackScript(plan), mode: 0o700 },
  ];
}

/** Writes plan.json, its HMAC and rollback.sh into a directory made with createPlanDir (secrets first, by the caller). */
export function savePlan(dir: string, plan: Plan, planKey: string): void {
  for (const f of planFiles(plan, planKey)) writeNew(join(dir, f.name), f.text, f.mode);
}

export interface LoadPlanOptions {
  /**
   * Go on when the secrets file (and so the key) is gone: for rollback, which must always be able
   * to put the files back. A key that is there is always checked.
   */
  keyOptional?: boolean;
}

/** Refuses plan.json unless its HMAC, keyed with the plan's secret key, matches its exact text. */
function checkSignature(dir: string, file: string, text: string, o: LoadPlanOptions): void {
  const key = readPlanKey(join(dir, SECRETS_FILE));
  if (key === null) {
    if (o.keyOptional) return;
    throw new PlanFileError(
      `Cannot check that ${file} is the plan as it was made: ${join(dir, SECRETS_FILE)} is missing or holds no plan key. Nothing was done; make a new plan (pgharden plan --spec ...)`,
      true,
    );
  }
  let saved: string;
  try {
    saved = readFileSync(join(dir, SIGNATURE_FILE), 'utf8').trim();
  } catch {
    saved = '';
  }
  const want = Buffer.from(hmacOf(key, text), 'hex');
  const got = Buffer.from(/^[0-9a-f]{64}$/.test(saved) ? saved : '', 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new PlanFileError(
      `${file} does not match its keyed signature (${join(dir, SIGNATURE_FILE)}): it has been edited since it was made, even if its id was recomputed. Nothing was done; make a new plan (pgharden plan --spec ...)`,
      true,
    );
  }
}

/** Reads and checks plan.json: only its owner and root can write it and its directory, it parses, its id is the hash of its content, and its HMAC matches. */
export function loadPlan(dir: string, o: LoadPlanOptions = {}): Plan {
  // Before anything in it is read: a directory others can write holds whatever they put there.
  const saved = refuseUntrustedPlanDir(dir);
  const file = join(dir, PLAN_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new PlanFileError(
        `Cannot read ${file}: permission denied (a plan is private to whoever made it, mode 0600)`,
        false,
        "run as root (sudo pgharden ...) or as the server's OS user, the way the plan was made",
      );
    throw new PlanFileError(
      code === 'ENOENT'
        ? `No plan at ${file}; make one with: pgharden plan --spec harden.yaml --out ${dir}`
        : `Cannot read ${file}: ${(err as Error).message}`,
    );
  }
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch (err) {
    throw new PlanFileError(
      `${file} is not valid JSON (${(err as Error).message}); has it been edited? Make a new plan`,
    );
  }
  if (plan.schemaVersion !== 1 || typeof plan.id !== 'string' || !Array.isArray(plan.steps)) {
    throw new PlanFileError(
      `${file} is not a pgharden plan of a version this pgharden reads (schemaVersion ${String(plan.schemaVersion)})`,
    );
  }
  if (planId(plan) !== plan.id) {
    throw new PlanFileError(
      `${file} does not match its id ${plan.id.slice(0, 12)}…: it has been edited since it was made. Nothing was done; make a new plan (pgharden plan --spec ...)`,
      true,
    );
  }
  checkSignature(dir, file, text, o);
  refuseForeignSavedCopies(saved, plan.binding.files);
  return rebased(plan, resolve(dir));
}

/** The directory the plan was made in, from its rollback command (`pgharden rollback DIR`). */
const madeIn = (plan: Plan) => plan.rollback.command.replace(/^pgharden rollback /, '');

/**
 * The plan as seen from where plan.json is now: a plan directory that was moved or renamed keeps
 * working, its backups and its rollback line pointing into the directory as it is named now.
 * Only what is inside the plan directory moves; the id and HMAC were checked on the text as saved.
 */
function rebased(plan: Plan, dir: string): Plan {
  const old = madeIn(plan);
  if (old === dir || old === '') return plan;
  const at = new RegExp(`${old.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[/'"s])`, 'g');
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(at, dir);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { ...(walk(plan) as Plan), id: plan.id };
}
