/**
 * The process groups of pgharden's running commands, and what happens to them when pgharden is
 * interrupted. Each command leads a process group of its own, so a signal to `-pid` reaches every
 * process it started (a shell's children, a reload script's daemons-to-be) and not pgharden.
 * While any command runs, SIGINT, SIGTERM and SIGHUP end those groups (SIGTERM, then SIGKILL after
 * a grace period) before pgharden goes down with the same signal; a plain exit kills them at once.
 */

/** Grace between SIGTERM and SIGKILL, for a group being ended. */
export const KILL_GRACE_MS = 2000;

const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Each running command's group (0 until its spawn returns). */
const live = new Set<{ pgid: number }>();
let ending = false;
let handled: Promise<void> = Promise.resolve();

/** Signals every process of the group `pgid`; false once the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the group now, SIGKILL to whatever is left of it after `graceMs`. */
export function endGroup(pgid: number, graceMs = KILL_GRACE_MS): void {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  setTimeout(() => signalGroup(pgid, 'SIGKILL'), graceMs).unref();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function onInterrupt(signal: NodeJS.Signals): void {
  if (ending) return;
  ending = true;
  handled = endAll(signal);
}

async function endAll(signal: NodeJS.Signals): Promise<void> {
  const groups = [...live].map((g) => g.pgid).filter((g) => g > 0);
  for (const g of groups) signalGroup(g, 'SIGTERM');
  for (let waited = 0; waited < KILL_GRACE_MS && groups.some((g) => signalGroup(g, 0)); waited += 50) await sleep(50);
  for (const g of groups) signalGroup(g, 'SIGKILL');
  uninstall();
  // Die of the same signal, as pgharden would have without this handler, unless someone else
  // (a front end) listens for it and decides.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function onExit(): void {
  for (const g of live) if (g.pgid > 0) signalGroup(g.pgid, 'SIGKILL');
}

const handlers = new Map(INTERRUPTS.map((s) => [s, () => onInterrupt(s)] as const));

function install(): void {
  for (const [s, h] of handlers) process.on(s, h);
  process.on('exit', onExit);
}

function uninstall(): void {
  for (const [s, h] of handlers) process.off(s, h);
  process.off('exit', onExit);
  ending = false;
}

/** A command's place among the tracked groups. */
export interface TrackedGroup {
  /** The command started and leads the group `pgid`. */
  started(pgid: number): void;
  /** The command has ended (or never started). */
  ended(): void;
}

/**
 * Tracks a command's group. Call it before the spawn: setting a command up after its spawn takes
 * a while, and a signal meanwhile would otherwise find no handler and leave the command behind.
 */
export function trackGroup(): TrackedGroup {
  if (live.size === 0) install();
  const slot = { pgid: 0 };
  live.add(slot);
  return {
    started: (pgid) => {
      slot.pgid = pgid;
    },
    ended: () => {
      live.delete(slot);
      if (live.size === 0 && !ending) uninstall();
    },
  };
}

/**
 * Whether pgharden is ending its commands because it was interrupted, and then the end of that:
 * pgharden dies of the signal before it resolves, unless a front end listens for the signal too.
 */
export function interruption(): Promise<void> | undefined {
  return ending ? handled : undefined;
}
