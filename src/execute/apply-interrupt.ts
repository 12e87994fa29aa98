/**
 * Ctrl-C (SIGINT) or SIGTERM during apply: the front end is told where the run stopped (step N of
 * M and its id) at once, then the run's scratch drill databases are dropped over a fresh admin
 * session (DROP DATABASE … WITH (FORCE), as the journal records them), the report of the run so
 * far is written and the plan lock released. The run itself is never resumed in this process: the
 * journal lets the next `pgharden apply` judge every step by its state, as after a crash.
 */
import type { AdminTarget } from './admin.js';
import { openAdmin } from './admin.js';
import { dropLeftScratch } from './backup-step.js';
import type { Journal } from './journal.js';

/** Where the run stopped. `step` counts from 1. */
export interface Interruption {
  signal: NodeJS.Signals;
  step: number;
  total: number;
  id: string;
}

/** What apply's front end does with an interruption: say it, wait for `cleanup`, exit. */
export type OnInterrupt = (where: Interruption, cleanup: Promise<void>) => void;

/** The watch over one run: `at` moves with the steps; `stopping` is set once a signal came. */
export interface InterruptWatch {
  at(step: number, id: string): void;
  readonly stopping: boolean;
  /** A promise that never settles once stopping: the run waits there for the exit. */
  halt(): Promise<void>;
  remove(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Installs the handlers for one run. `finish` writes the report and releases the lock. */
export function watchInterrupts(
  total: number,
  target: AdminTarget,
  journal: () => Journal | undefined,
  finish: (where: Interruption) => Promise<void> | void,
  onInterrupt: OnInterrupt,
): InterruptWatch {
  let where = { step: 1, id: '' };
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const stopped: Interruption = { signal, total, ...where };
    const cleanup = (async () => {
      const j = journal();
      if (j) {
        try {
          const admin = await openAdmin(target);
          try {
            // A CREATE DATABASE in flight is not visible to DROP yet: let it finish first (at most 10 s).
            for (let i = 0; i < 40; i++) {
              const [r] = await admin.query<{ n: number }>(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query ILIKE 'CREATE DATABASE%' AND pid <> pg_backend_pid()",
              );
              if (r!.n === 0) break;
              await new Promise((done) => setTimeout(done, 250));
            }
            await dropLeftScratch(j, admin, () => undefined);
          } finally {
            await admin.end();
          }
        } catch {
          // The server may be the reason for the Ctrl-C: the next apply or rollback drops them.
        }
      }
      await finish(stopped);
    })();
    onInterrupt(stopped, cleanup);
  };
  const listeners = SIGNALS.map((s) => [s, () => handler(s)] as const);
  for (const [s, l] of listeners) process.on(s, l);
  return {
    at(step, id) {
      where = { step, id };
    },
    get stopping() {
      return stopping;
    },
    halt: () => (stopping ? new Promise<void>(() => undefined) : Promise.resolve()),
    remove() {
      for (const [s, l] of listeners) process.off(s, l);
    },
  };
}
