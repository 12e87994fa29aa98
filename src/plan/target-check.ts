/**
 * `--cluster`/`--dsn` given to a verb that works from a saved plan (apply, status, rollback): the
 * plan's binding decides which server it changes (DESIGN.md invariant 6), so the flag is accepted
 * as a check that it names that same server, and refused when it names another.
 */
import { resolveTarget, type ConnectOptions } from '../connect/connect.js';
import { RefusedError } from '../core/errors.js';
import type { Plan } from './plan-types.js';

/** Throws RefusedError (exit 3) when the connection options point at another server than the plan's. */
export function checkPlanTarget(plan: Plan, dir: string, connection: ConnectOptions, verb: string): void {
  if (connection.dsn === undefined && connection.cluster === undefined) return;
  const t = resolveTarget(connection);
  const port = Number(t.params.port);
  const host = t.params.host;
  const same = port === plan.binding.port && (!host.startsWith('/') || host === plan.server.socketDir);
  if (same) return;
  const named = connection.cluster !== undefined ? `--cluster ${connection.cluster}` : `--dsn`;
  throw new RefusedError(
    `${named} names the server at ${host} port ${port}, but ${dir} was made for the one at ${plan.server.socketDir ?? 'no socket'} port ${plan.binding.port} (data directory ${plan.binding.dataDirectory}); a plan only ever acts on its own server`,
    `pgharden ${verb} ${dir} (without ${named.split(' ')[0]}: the plan knows its server), or make a plan for that server: pgharden plan --spec harden.yaml ${named}`,
  );
}
