/**
 * The server's stages of a TLS plan, in the safe order: `server-tls` (the certificate and key
 * copied in, ssl, the files and ssl_min_protocol_version by ALTER SYSTEM, a reload proven by a
 * TLS handshake from a trusted range presenting the new certificate), then, after every consumer
 * has moved (stage-tls-consumers.ts), `hostssl` (pg_hba.conf requires TLS, validated before its
 * reload, in force by probe) and `verify` (the negative tests answered by the server and libpq).
 */
import { createHash } from 'node:crypto';
import type { FileBinding } from './binding.js';
import { backupPath, fileState, sampleAddress } from './stage-network.js';
import { requireTls } from './tls-hba.js';
import type { TlsInput } from './tls-input.js';
import { tlsFiles } from './tls-input.js';
import { TLS_FILES } from './tls-certificate.js';
import type { Action, Check, Source, State, Step } from './plan-types.js';

/** A step with nothing to observe, verify or undo unless it says so. */
export const tlsStep = (
  s: Omit<Step, 'verify' | 'undo' | 'before' | 'after' | 'transactional' | 'restartRequired'> & Partial<Step>,
): Step => ({
  verify: [],
  undo: null,
  before: [{ of: 'none' }],
  after: [{ of: 'none' }],
  transactional: false,
  restartRequired: false,
  ...s,
});

/** Put back from the preflight backup, or removed when the plan made it. */
export function undoOf(i: TlsInput, f: FileBinding): Action {
  return f.sha256 === null
    ? { do: 'remove-file', path: f.path }
    : {
        do: 'restore-file',
        path: f.path,
        backup: backupPath(tlsFiles(i), f.path),
        ...(f.link ? { link: f.link } : {}),
      };
}

/** The step copying a file the plan made into place. */
export function copyStep(
  i: TlsInput,
  id: string,
  stage: Step['stage'],
  description: string,
  from: string,
  to: FileBinding,
  sha256: string,
  owner: { mode: number; uid: number; gid: number },
): Step {
  return tlsStep({
    id,
    stage,
    kind: 'file',
    description,
    forward: { do: 'copy-file', from, path: to.path, ...owner },
    undo: undoOf(i, to),
    before: [fileState(to)],
    after: [{ of: 'file', path: to.path, sha256, ...owner }],
  });
}

/** Where probes leave from: an address of the first trusted range. */
export function trustedSource(i: TlsInput): Extract<Source, { address: string }> {
  const range = i.trustedRanges[0]!;
  return { address: sampleAddress(range), range };
}

const quote = (v: string) => `'${v.replaceAll("'", "''")}'`;

/** The settings ALTER SYSTEM writes. */
export function tlsSettings(i: TlsInput): Record<string, string> {
  return {
    ssl: 'on',
    ssl_cert_file: i.setup.certFile,
    ssl_key_file: i.setup.keyFile,
    ssl_min_protocol_version: i.setup.minProtocol,
  };
}

export function serverTlsSteps(i: TlsInput): Step[] {
  const as = { uid: i.serverUser.uid, gid: i.serverUser.gid };
  const settings = tlsSettings(i);
  return [
    copyStep(
      i,
      'server-tls/certificate',
      'server-tls',
      `Copy the server certificate (sha256 ${i.setup.sha256}, for ${i.setup.names.join(', ')}, valid until ${i.setup.notAfter}) to ${i.setup.certFile}, mode 0644 ${i.serverUser.name}`,
      TLS_FILES.serverCert,
      i.certFile,
      i.certSha256,
      { mode: 0o644, ...as },
    ),
    copyStep(
      i,
      'server-tls/key',
      'server-tls',
      `Copy its private key to ${i.setup.keyFile}, mode 0600 ${i.serverUser.name} (the server refuses a key others can read)`,
      TLS_FILES.serverKey,
      i.keyFile,
      i.keySha256,
      { mode: 0o600, ...as },
    ),
    tlsStep({
      id: 'server-tls/settings',
      stage: 'server-tls',
      kind: 'sql',
      description: `Write ${Object.entries(settings)
        .map(([k, v]) => `${k} = ${v}`)
        .join(', ')} with ALTER SYSTEM (postgresql.auto.conf); a reload applies them, no restart`,
      forward: {
        do: 'sql',
        database: 'postgres',
        statements: Object.entries(settings).map(([k, v]) => `ALTER SYSTEM SET ${k} = ${quote(v)}`),
      },
      undo:
        i.autoConf.sha256 !== null
          ? undoOf(i, i.autoConf)
          : {
              do: 'sql',
              database: 'postgres',
              statements: Object.keys(settings).map((k) => `ALTER SYSTEM RESET ${k}`),
            },
      before: Object.keys(settings).map(
        (k): State => ({ of: 'auto-setting', name: k, value: i.autoConf.settings[k] ?? null }),
      ),
      after: Object.entries(settings).map(([k, v]): State => ({ of: 'auto-setting', name: k, value: v })),
    }),
    tlsStep({
      id: 'server-tls/reload',
      stage: 'server-tls',
      kind: 'reload',
      description:
        'Reload: the server offers TLS with the new certificate; proven by a TLS handshake from a trusted range',
      forward: { do: 'reload' },
      undo: { do: 'reload' },
      verify: [
        { check: 'setting', name: 'ssl', value: 'on' },
        { check: 'setting', name: 'ssl_min_protocol_version', value: i.setup.minProtocol },
        { check: 'tls-handshake', from: trustedSource(i), sha256: i.setup.sha256 },
      ],
    }),
  ];
}

const hbaSha = (i: TlsInput, text: string) =>
  createHash('sha256')
    .update(Buffer.from(text, i.hba.encoding ?? 'utf8'))
    .digest('hex');

/** The pg_hba.conf text with TLS required. */
export function tlsHbaText(i: TlsInput): { text: string; changed: number } {
  return requireTls(i.hba.lines, i.trustedRanges);
}

export function hostsslSteps(i: TlsInput): Step[] {
  const { text, changed } = tlsHbaText(i);
  if (changed === 0) return [];
  const h = i.hba.binding;
  const from = trustedSource(i);
  const who = i.consumers[0];
  const probes: Check[] = who
    ? [
        { check: 'auth', user: who.user, database: who.database ?? 'postgres', from, expect: 'refused' },
        {
          check: 'auth',
          user: who.user,
          database: who.database ?? 'postgres',
          from,
          expect: 'password-required',
          ssl: true,
        },
      ]
    : [];
  return [
    tlsStep({
      id: 'hostssl/hba',
      stage: 'hostssl',
      kind: 'file',
      description: `Require TLS in ${h.path}: host rules that admit become hostssl, with hostnossl reject above them for the trusted ranges (${changed} lines changed or added); checked with pg_hba_file_rules before any reload`,
      forward: {
        do: 'write-file',
        path: h.path,
        content: text,
        mode: h.mode!,
        uid: h.uid!,
        gid: h.gid!,
        ...(i.hba.encoding ? { encoding: i.hba.encoding } : {}),
      },
      verify: [{ check: 'hba-valid', path: h.path }],
      undo: undoOf(i, h),
      before: [fileState(h)],
      after: [{ ...fileState(h), sha256: hbaSha(i, text) } as State],
    }),
    tlsStep({
      id: 'hostssl/reload',
      stage: 'hostssl',
      kind: 'reload',
      description:
        'Reload so TLS is required, then confirm by probe: plain TCP from a trusted range is refused, TLS is asked for a password',
      forward: { do: 'reload' },
      undo: { do: 'reload' },
      verify: probes,
    }),
  ];
}

export function verifyTlsSteps(i: TlsInput): Step[] {
  const checks: Check[] = i.consumers.flatMap((c): Check[] => [
    { check: 'consumer-tls', consumer: c.name, path: c.path, ...c.owner, expect: 'ok' },
    ...(i.setup.mode === 'verify-full'
      ? [
          {
            check: 'consumer-tls' as const,
            consumer: c.name,
            path: c.path,
            ...c.owner,
            expect: 'refused' as const,
            rogue: { cert: TLS_FILES.rogueCert, key: TLS_FILES.rogueKey },
          },
        ]
      : []),
  ]);
  const who = i.consumers[0];
  if (who)
    checks.push({
      check: 'auth',
      user: who.user,
      database: who.database ?? 'postgres',
      from: trustedSource(i),
      expect: 'refused',
    });
  if (!checks.length) return [];
  return [
    tlsStep({
      id: 'verify/tls',
      stage: 'verify',
      kind: 'probe',
      description:
        'Negative tests: each consumer logs in through libpq with verify-full and channel_binding=require; the same connection string refuses a listener presenting another certificate; plain TCP from a trusted range is refused',
      forward: { do: 'probe', checks },
    }),
  ];
}
