/**
 * Where a test run puts apply's faults. Only the test entry point (test/support/fault-cli.mjs)
 * installs any, before it loads the CLI; the released CLI reads no variable and installs nothing,
 * so nobody who can only set apply's environment (a cron line, a CI job) can make it stop part way.
 */
import type { Faults } from './runners.js';

let installed: Faults | undefined;

/** Test entry point only: the faults every apply of this process uses. */
export function installFaults(faults: Faults | undefined): void {
  installed = faults;
}

/** The faults a test entry point installed; undefined in the released CLI. */
export const installedFaults = (): Faults | undefined => installed;

/**
 * A fault written as STEP:POINT, as the test entry point reads it: POINT intent, action or done
 * kills apply there; corrupt spoils that step's candidate pg_hba.conf; truncate-dump or
 * delete-rows spoils that step's verified backup. Undefined for anything else.
 */
export function faultsFrom(value: string | undefined): Faults | undefined {
  const at = value?.lastIndexOf(':') ?? -1;
  if (value === undefined || at <= 0) return undefined;
  const step = value.slice(0, at);
  const point = value.slice(at + 1);
  if (point === 'intent' || point === 'action' || point === 'done') return { kill: { step, at: point } };
  if (point === 'corrupt') return { corruptHba: step };
  if (point === 'truncate-dump' || point === 'delete-rows') return { backup: { step, fault: point } };
  return undefined;
}
