/**
 * Stage `consumers`: each consumer's connection string moves to its new role while the old
 * rules still admit everyone, so a consumer that has not reloaded yet keeps working. Per
 * consumer: rewrite the file in place (its hash after the rewrite is recorded; the file's new
 * text is not, since it holds the password), prove the new DSN logs in, run the consumer's own
 * reload and health check, then wait until no session is left on its old identity.
 */
import type { PlanInput } from './input.js';
import { fileState, restoreUndo, sha256 } from './stage-network.js';
import { consumerCaSteps, consumerTlsCheck } from './stage-harden-tls.js';
import type { Step } from './plan-types.js';
import { step } from './step.js';

/** How long a consumer's command may run. */
export const COMMAND_TIMEOUT_MS = 120_000;

/**
 * A consumer file's mode once it holds a password: nothing for others; the owner's and group's
 * read/write kept, except for a .pgpass, which libpq ignores with any group or world access
 * (so 0600 or less). libpq makes no such check of pg_service.conf, so its group keeps access.
 */
export const consumerMode = (mode: number | null, format?: string) =>
  (mode ?? 0o600) & (format === 'pgpass' ? 0o600 : 0o660);

/**
 * A consumer's reload (undone by reloading again, so it re-reads the restored file) and health
 * check, as its spec names them; `healthy` says what the health check proves ("over TLS").
 */
export function consumerCommandSteps(
  name: string,
  commands: { reload?: string[] | undefined; healthCheck?: string[] | undefined },
  healthy: string,
): Step[] {
  const steps: Step[] = [];
  const { reload, healthCheck } = commands;
  if (reload)
    steps.push(
      step({
        id: `consumers/${name}/reload`,
        stage: 'consumers',
        kind: 'command',
        description: `Tell ${name} to re-read its configuration: ${reload.join(' ')}`,
        forward: { do: 'command', argv: reload, timeoutMs: COMMAND_TIMEOUT_MS },
        undo: { do: 'command', argv: reload, timeoutMs: COMMAND_TIMEOUT_MS },
      }),
    );
  if (healthCheck)
    steps.push(
      step({
        id: `consumers/${name}/health`,
        stage: 'consumers',
        kind: 'command',
        description: `Check ${name} is healthy ${healthy}: ${healthCheck.join(' ')}`,
        forward: { do: 'command', argv: healthCheck, timeoutMs: COMMAND_TIMEOUT_MS },
      }),
    );
  return steps;
}

export function consumerSteps(input: PlanInput): Step[] {
  const steps: Step[] = [];
  const copied = new Set<string>();
  for (const c of input.consumers) {
    const spec = input.spec.consumers.find((x) => x.name === c.name)!;
    const tls = input.tls?.consumers[c.name];
    steps.push(...consumerCaSteps(input, c.name, copied));
    steps.push(
      step({
        id: `consumers/${c.name}/rewrite`,
        stage: 'consumers',
        kind: 'file',
        description: `Rewrite ${c.key ?? 'the connection string'} in ${c.path}: user ${c.oldUser} → ${spec.role}, with its new password${
          tls
            ? `, and ${Object.entries(tls.params)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')}`
            : ''
        }; everything else in the file is kept${c.binding.mode !== null && consumerMode(c.binding.mode, c.format) !== c.binding.mode ? `; mode ${c.binding.mode.toString(8).padStart(4, '0')} → ${consumerMode(c.binding.mode, c.format).toString(8).padStart(4, '0')}, since it now holds a password${c.format === 'pgpass' ? ' (libpq ignores a .pgpass with any group or world access)' : ''}` : ''}`,
        forward: {
          do: 'rewrite-consumer',
          path: c.path,
          format: c.format,
          ...(c.key ? { key: c.key } : {}),
          role: spec.role,
          oldUser: c.oldUser,
          ...(tls ? { params: tls.params } : {}),
        },
        verify: [
          tls
            ? consumerTlsCheck(input, c.name)
            : { check: 'consumer-dsn', consumer: c.name, path: c.path, expect: 'ok' },
        ],
        undo: restoreUndo(input, c.binding),
        before: [fileState(c.binding)],
        // The file now holds a password: no access for other accounts (owner and group keep theirs).
        after: [
          {
            ...fileState(c.binding),
            sha256: sha256(c.rewritten),
            mode: consumerMode(c.binding.mode, c.format),
          } as ReturnType<typeof fileState>,
        ],
      }),
    );
    steps.push(...consumerCommandSteps(c.name, spec, 'on its new role'));
    steps.push(
      step({
        id: `consumers/${c.name}/drain`,
        stage: 'consumers',
        kind: 'gate',
        description: `Wait until no session of ${c.name} is left as ${c.oldUser}${spec.application ? ` (application_name ${spec.application})` : ''} (up to ${spec.drainTimeout} s; then stop with the list of stragglers)`,
        forward: {
          do: 'gate',
          until: {
            gate: 'no-old-sessions',
            user: c.oldUser,
            ...(spec.application ? { application: spec.application } : {}),
            ...(spec.clientAddress ? { clientAddress: spec.clientAddress } : {}),
          },
          timeoutMs: spec.drainTimeout * 1000,
        },
      }),
    );
  }
  return steps;
}
