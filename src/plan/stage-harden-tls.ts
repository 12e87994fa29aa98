/**
 * The spec's tls section planned with the hardening, in the safe order: after the roles and the
 * canary, `server-tls` (certificate, key, settings, a reload proven by a TLS handshake) while
 * every rule still admits plain TCP; each consumer then moves to its new role and to sslmode,
 * sslrootcert and channel_binding=require in one write (its CA copy first), proven by a libpq login
 * as the file's owner; the flip writes the final pg_hba.conf with hostssl and hostnossl reject; and
 * verify asks the server over TLS, proves plain TCP refused and a consumer's string refusing a
 * listener with another certificate.
 */
import { parseHba } from '../conf/hba.js';
import type { PlanInput } from './input.js';
import { COMMAND_TIMEOUT_MS, consumerMode } from './stage-consumers.js';
import { fileState, restoreUndo, sha256, touchedFiles } from './stage-network.js';
import { copyStep, serverTlsSteps, tlsStep } from './stage-tls.js';
import { step } from './step.js';
import { TLS_FILES } from './tls-certificate.js';
import { requireTls } from './tls-hba.js';
import type { TlsInput } from './tls-input.js';
import type { Check, Source, Step } from './plan-types.js';

/** What each consumer's string gets once every rule it can reach asks for SCRAM. */
export const CHANNEL_BINDING: Record<string, string> = { channel_binding: 'require' };

/** The hardening plan's facts as the TLS stages read them (backups named in the hardening plan's order). */
function asTlsInput(input: PlanInput): TlsInput {
  const t = input.tls!;
  const s = input.snapshot;
  return {
    name: input.name,
    planDir: input.planDir,
    createdAt: input.createdAt,
    version: input.version,
    target: input.target,
    server: {
      major: s.major,
      version: s.version,
      hbaFile: input.hba.file,
      configFile: input.configFile.path,
      autoConfFile: input.autoConf.path,
      dataDirectory: s.settings.data_directory ?? '',
      adminRole: input.serverUser.name,
      socketDir: input.socketDir,
      port: input.port,
      systemIdentifier: s.systemIdentifier ?? '',
    },
    serverUser: input.serverUser,
    setup: t.setup,
    autoConf: input.autoConf,
    certFile: t.certFile,
    keyFile: t.keyFile,
    certSha256: t.certSha256,
    keySha256: t.keySha256,
    hba: { binding: input.hba.binding, lines: input.hba.lines },
    trustedRanges: input.spec.network.trustedRanges,
    consumers: [],
    files: touchedFiles(input),
  };
}

/** Stage `server-tls`: the server offers TLS with the plan's certificate; nothing is refused yet. */
export function hardenServerTlsSteps(input: PlanInput): Step[] {
  return input.tls ? serverTlsSteps(asTlsInput(input)) : [];
}

/** The CA copy a consumer's sslrootcert names, copied before its file is rewritten (once per path). */
export function consumerCaSteps(input: PlanInput, consumer: string, copied: Set<string>): Step[] {
  const t = input.tls?.consumers[consumer];
  const c = input.consumers.find((x) => x.name === consumer)!;
  if (!t?.ca || copied.has(t.ca.path)) return [];
  copied.add(t.ca.path);
  return [
    copyStep(
      asTlsInput(input),
      `consumers/${consumer}/ca`,
      'consumers',
      `Copy the CA certificate to ${t.ca.path}, mode 0644, owned by the owner of ${c.path} (uid ${c.binding.uid}): sslrootcert for verify-full`,
      TLS_FILES.caCert,
      t.ca,
      input.tls!.setup.caSha256,
      { mode: 0o644, uid: c.binding.uid!, gid: c.binding.gid! },
    ),
  ];
}

/**
 * The consumer's file as libpq uses it, as the file's owner: `ok` means logged in over TLS. With
 * `rogue`, the same string aimed at a listener presenting another certificate must be refused.
 */
export function consumerTlsCheck(input: PlanInput, consumer: string, rogue = false): Check {
  const c = input.consumers.find((x) => x.name === consumer)!;
  return {
    check: 'consumer-tls',
    consumer,
    path: c.path,
    uid: c.binding.uid!,
    gid: c.binding.gid!,
    expect: rogue ? 'refused' : 'ok',
    ...(rogue ? { rogue: { cert: TLS_FILES.rogueCert, key: TLS_FILES.rogueKey } } : {}),
  };
}

/** The flip's pg_hba.conf with TLS required: admitting host rules become hostssl, hostnossl reject above them. */
export function withTlsRequired(input: PlanInput, finalText: string): string {
  const lines = parseHba(finalText, { file: input.hba.file, context: { ...input.snapshot.context, ssl: true } });
  return requireTls(lines, input.spec.network.trustedRanges).text;
}

/**
 * After the flip: channel_binding=require in each consumer's string (a login under trust, as
 * during the consumers stage, has no SCRAM exchange to bind, and libpq refuses it), its reload,
 * and a libpq login with exactly those settings as the file's owner.
 */
export function channelBindingSteps(input: PlanInput): Step[] {
  const t = input.tls;
  if (!t) return [];
  return input.consumers.flatMap((c) => {
    const spec = input.spec.consumers.find((x) => x.name === c.name)!;
    const moved = {
      ...fileState(c.binding),
      sha256: sha256(c.rewritten),
      mode: consumerMode(c.binding.mode, c.format),
    };
    const steps: Step[] = [
      tlsStep({
        id: `flip/channel-binding-${c.name}`,
        stage: 'flip',
        kind: 'file',
        description: `Set channel_binding=require in ${c.key ?? 'the connection string'} of ${c.path}: every rule it reaches now asks for scram-sha-256, so a relay cannot pass its SCRAM exchange through`,
        forward: {
          do: 'consumer-params',
          path: c.path,
          format: c.format,
          ...(c.key ? { key: c.key } : {}),
          params: CHANNEL_BINDING,
        },
        verify: [consumerTlsCheck(input, c.name)],
        undo: restoreUndo(input, c.binding),
        before: [moved as Step['before'][number]],
        after: [{ ...moved, sha256: t.consumers[c.name]!.boundSha256 } as Step['after'][number]],
      }),
    ];
    if (spec.reload)
      steps.push(
        tlsStep({
          id: `flip/channel-binding-${c.name}-reload`,
          stage: 'flip',
          kind: 'command',
          description: `Tell ${c.name} to re-read its configuration: ${spec.reload.join(' ')}`,
          forward: { do: 'command', argv: spec.reload, timeoutMs: COMMAND_TIMEOUT_MS },
          undo: { do: 'command', argv: spec.reload, timeoutMs: COMMAND_TIMEOUT_MS },
        }),
      );
    return steps;
  });
}

/**
 * The auth probes once TLS is required: each passwordless probe that a rule answers with a
 * password request is asked over TLS, and the same probe without TLS must be refused.
 */
export function tlsAuthProbes(input: PlanInput, checks: Check[]): Check[] {
  if (!input.tls) return checks;
  return checks.flatMap((ch): Check[] =>
    ch.check === 'auth' && ch.from !== 'local'
      ? ch.expect === 'password-required'
        ? [
            { ...ch, ssl: true },
            { ...ch, expect: 'refused' },
          ]
        : [{ ...ch, ssl: true }, ch]
      : [ch],
  );
}

/** The verify stage's TLS step: the certificate in force, and each consumer's string refusing an impostor (verify-full). */
export function hardenVerifyTlsSteps(input: PlanInput, from: Extract<Source, { address: string }>): Step[] {
  const t = input.tls;
  if (!t) return [];
  const checks: Check[] = [
    { check: 'setting', name: 'ssl', value: 'on' },
    { check: 'tls-handshake', from, sha256: t.setup.sha256 },
    ...(t.setup.mode === 'verify-full' ? input.consumers.map((c) => consumerTlsCheck(input, c.name, true)) : []),
  ];
  return [
    step({
      id: 'verify/tls',
      stage: 'verify',
      kind: 'probe',
      description:
        "TLS in force: the server presents the plan's certificate, and each consumer's connection string refuses a listener presenting another certificate",
      forward: { do: 'probe', checks },
    }),
  ];
}
