/**
 * The consumers' stage of a TLS plan: per consumer, its copy of the CA (readable by the file's
 * owner), its connection string moved to sslmode, sslrootcert and channel_binding=require and
 * proven by a libpq login with exactly those settings as the file's owner, its own reload and
 * health check, and the drain: no session of it left without TLS. The server still accepts
 * plain connections meanwhile, so a consumer that has not reloaded yet keeps working.
 */
import { consumerCommandSteps } from './stage-consumers.js';
import { fileState } from './stage-network.js';
import { copyStep, tlsStep, undoOf } from './stage-tls.js';
import { TLS_FILES } from './tls-certificate.js';
import type { TlsInput } from './tls-input.js';
import type { Step } from './plan-types.js';

export function tlsConsumerSteps(i: TlsInput): Step[] {
  const steps: Step[] = [];
  const copied = new Set<string>();
  for (const c of i.consumers) {
    if (c.ca && !copied.has(c.ca.path)) {
      copied.add(c.ca.path);
      steps.push(
        copyStep(
          i,
          `consumers/${c.name}/ca`,
          'consumers',
          `Copy the CA certificate to ${c.ca.path}, mode 0644, owned by the owner of ${c.path} (uid ${c.owner.uid}): sslrootcert for verify-full`,
          TLS_FILES.caCert,
          c.ca,
          i.setup.caSha256,
          { mode: 0o644, ...c.owner },
        ),
      );
    }
    steps.push(
      tlsStep({
        id: `consumers/${c.name}/tls`,
        stage: 'consumers',
        kind: 'file',
        description: `Set ${Object.entries(c.params)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')} in ${c.key ?? 'the connection string'} of ${c.path}; everything else in the file is kept`,
        forward: {
          do: 'consumer-params',
          path: c.path,
          format: c.format,
          ...(c.key ? { key: c.key } : {}),
          params: c.params,
        },
        verify: [{ check: 'consumer-tls', consumer: c.name, path: c.path, ...c.owner, expect: 'ok' }],
        undo: undoOf(i, c.binding),
        before: [fileState(c.binding)],
        after: [{ ...fileState(c.binding), sha256: c.movedSha256 } as Step['after'][number]],
      }),
    );
    steps.push(...consumerCommandSteps(c.name, c, 'over TLS'));
    steps.push(
      tlsStep({
        id: `consumers/${c.name}/drain`,
        stage: 'consumers',
        kind: 'gate',
        description: `Wait until no session of ${c.name} (${c.user}${c.application ? `, application_name ${c.application}` : ''}) is left without TLS (up to ${c.drainTimeout} s)`,
        forward: {
          do: 'gate',
          until: {
            gate: 'no-old-sessions',
            user: c.user,
            plain: true,
            ...(c.application ? { application: c.application } : {}),
            ...(c.clientAddress ? { clientAddress: c.clientAddress } : {}),
          },
          timeoutMs: c.drainTimeout * 1000,
        },
      }),
    );
  }
  return steps;
}
