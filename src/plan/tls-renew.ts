/**
 * `pgharden plan --renew-certificate`: a new server certificate from the CA an applied TLS plan
 * generated (its key is read in that plan's `tls/`, never copied or printed), installed where the
 * server's ssl_cert_file and ssl_key_file point, a reload proven by a TLS handshake presenting the
 * new fingerprint, and each consumer's own connection string logging in again with verify-full
 * against the same CA. Rollback puts the old certificate and key back and reloads.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { connect, recordTarget } from '../connect/connect.js';
import { InputError, RefusedError } from '../core/errors.js';
import { observeFile, type FileBinding } from './binding.js';
import { planId, shellRollback } from './planner.js';
import { newPlanKey, newSecrets, secretsText, sha256Text, writeSecrets } from './secrets.js';
import { backupPath, fileState } from './stage-network.js';
import { tlsStep, trustedSource } from './stage-tls.js';
import { createPlanDir, savePlan, SECRETS_FILE } from './store.js';
import { findTlsPlan, tlsPlanAt } from './tls-renew-source.js';
import { certificateFacts, generateCertificates, TLS_FILES } from './tls-certificate.js';
import type { TlsInput } from './tls-input.js';
import type { TlsPlanOptions } from './tls-make.js';
import type { Check, Plan, Step } from './plan-types.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const FACTS = `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version,
  current_setting('data_directory') AS data_directory, current_setting('config_file') AS config_file,
  current_setting('hba_file') AS hba_file, current_setting('port') AS port,
  current_setting('unix_socket_directories') AS sockets, current_setting('ssl') AS ssl,
  current_setting('ssl_cert_file') AS cert_file, current_setting('ssl_key_file') AS key_file,
  (SELECT system_identifier::text FROM pg_control_system()) AS sysid`;

/** Makes and saves the renewal plan; returns it with its directory. */
export async function makeRenewPlan(o: TlsPlanOptions & { from?: string }): Promise<{ plan: Plan; dir: string }> {
  const dir = resolve(o.out);
  const client = await connect(o.connection);
  let f: Record<string, string>;
  try {
    f = (await client.query<Record<string, string>>(FACTS)).rows[0]!;
  } finally {
    await client.end().catch(() => undefined);
  }
  const from = o.from ? resolve(o.from) : findTlsPlan(dirname(dir), f.sysid!);
  if (!from)
    throw new InputError(
      `no applied TLS plan for this server (system ${f.sysid}) under ${dirname(dir)}: the certificate is renewed from the CA that plan generated`,
      'give the TLS plan with --from plans/NAME, or make one first: pgharden plan --spec SPEC --tls',
    );
  const old = tlsPlanAt(from);
  if (!old)
    throw new InputError(
      `${from} is not a TLS plan that generated its CA (no ${TLS_FILES.caKey} there)`,
      'give the directory of the applied pgharden plan --tls with --from plans/NAME',
    );
  if (f.ssl !== 'on')
    throw new RefusedError(
      `the server (port ${f.port}) has ssl off: there is no certificate in force to renew`,
      `apply the TLS plan first: pgharden apply ${from}`,
    );
  const inData = (p: string) => (isAbsolute(p) ? p : join(f.data_directory!, p));
  const certFile = inData(f.cert_file!);
  const keyFile = inData(f.key_file!);
  const ca = { cert: join(from, TLS_FILES.caCert), key: join(from, TLS_FILES.caKey) };
  const caCert = new X509Certificate(readFileSync(ca.cert));
  const current = new X509Certificate(readFileSync(certFile));
  // A certificate from another CA in force: consumers may verify that one, and would refuse ours.
  if (!current.checkIssued(caCert) || !current.verify(caCert.publicKey))
    throw new RefusedError(
      `the certificate in force (${certFile}) was not issued by the CA of ${from}: consumers that verify it would refuse a certificate from that CA`,
      `renew from the plan whose CA issued it: pgharden plan --spec ${o.specFile} --renew-certificate --from plans/NAME`,
    );
  const previous = certificateFacts(readFileSync(certFile)).sha256;

  createPlanDir(dir);
  const facts = await generateCertificates(dir, {
    names: old.tls!.names,
    days: o.spec.tls.days,
    label: `port ${f.port} system ${f.sysid}`,
    ca,
  });
  // The CA's certificate (public) is kept with the plan for the record; its key stays where it is.
  copyFileSync(ca.cert, join(dir, TLS_FILES.caCert));
  const files = [observeFile(certFile), observeFile(keyFile)];
  const consumers = old.consumers.filter((c) => existsSync(c.path));
  const input = {
    planDir: dir,
    trustedRanges: old.trustedRanges,
    serverUser: { name: old.server.adminRole, uid: 0, gid: 0 },
  } as Pick<TlsInput, 'planDir' | 'trustedRanges' | 'serverUser'>;
  const install = (id: string, what: string, bytes: Buffer, to: FileBinding): Step =>
    tlsStep({
      id,
      stage: 'server-tls',
      kind: 'file',
      description: `${what} ${to.path}, mode ${to.mode!.toString(8).padStart(4, '0')} and owner kept`,
      forward: {
        do: 'copy-file',
        from: id.endsWith('key') ? TLS_FILES.serverKey : TLS_FILES.serverCert,
        path: to.path,
        mode: to.mode!,
        uid: to.uid!,
        gid: to.gid!,
      },
      undo: {
        do: 'restore-file',
        path: to.path,
        backup: backupPath(files, to.path),
        ...(to.link ? { link: to.link } : {}),
      },
      before: [fileState(to)],
      after: [{ of: 'file', path: to.path, sha256: sha256(bytes), mode: to.mode!, uid: to.uid!, gid: to.gid! }],
    });
  const checks: Check[] = consumers.map((c) => {
    const st = statSync(c.path);
    return { check: 'consumer-tls', consumer: c.name, path: c.path, uid: st.uid, gid: st.gid, expect: 'ok' };
  });
  const steps: Step[] = [
    tlsStep({
      id: 'preflight/lock',
      stage: 'preflight',
      kind: 'gate',
      description: 'Take the plan lock (one writer) and the server advisory lock',
      forward: { do: 'gate', until: { gate: 'lock' }, timeoutMs: 0 },
    }),
    tlsStep({
      id: 'preflight/backup',
      stage: 'preflight',
      kind: 'file',
      description: `Copy ${certFile} and ${keyFile} into ${dir}/backup with mode and owner`,
      forward: { do: 'backup', files: files.map((x) => ({ path: x.path, backup: backupPath(files, x.path) })) },
      before: files.map(fileState),
    }),
    tlsStep({
      id: 'preflight/admin-path',
      stage: 'preflight',
      kind: 'gate',
      description: `Open the admin lifeline: ${old.server.adminRole} over the local socket; it stays open across the reload`,
      forward: { do: 'gate', until: { gate: 'admin-path', user: old.server.adminRole }, timeoutMs: 10_000 },
    }),
    install(
      'server-tls/certificate',
      `Put the renewed certificate (sha256 ${facts.sha256}, from the CA of ${from}, for ${facts.names.join(', ')}, valid until ${facts.notAfter}) in`,
      readFileSync(join(dir, TLS_FILES.serverCert)),
      files[0]!,
    ),
    install('server-tls/key', 'Put its new private key in', readFileSync(join(dir, TLS_FILES.serverKey)), files[1]!),
    tlsStep({
      id: 'server-tls/reload',
      stage: 'server-tls',
      kind: 'reload',
      description: `Reload: the server presents the renewed certificate instead of ${previous.slice(0, 16)}…; proven by a TLS handshake from a trusted range`,
      forward: { do: 'reload' },
      undo: { do: 'reload' },
      verify: [
        { check: 'setting', name: 'ssl', value: 'on' },
        { check: 'tls-handshake', from: trustedSource(input as TlsInput), sha256: facts.sha256 },
      ],
    }),
    ...(checks.length
      ? [
          tlsStep({
            id: 'verify/tls',
            stage: 'verify',
            kind: 'probe',
            description:
              'Each consumer logs in again through libpq with its own connection string (verify-full against the same CA, channel_binding=require): nothing changed for it',
            forward: { do: 'probe', checks },
          }),
        ]
      : []),
  ];
  const bound = files.map(({ path, sha256: s, mode, uid, gid, link }) => ({
    path,
    sha256: s,
    mode,
    uid,
    gid,
    ...(link ? { link } : {}),
  }));
  const planKey = newPlanKey();
  const text = secretsText(newSecrets([]), planKey);
  const body: Omit<Plan, 'id'> = {
    schemaVersion: 1,
    name: dir.split('/').at(-1)!,
    createdAt: o.now.toISOString(),
    pgharden: o.version,
    target: recordTarget(o.connection),
    server: { ...old.server, version: f.version!, major: Math.floor(Number(f.num) / 10000) },
    binding: { systemIdentifier: f.sysid!, dataDirectory: f.data_directory!, port: Number(f.port), files: bound },
    secretsSha256: sha256Text(text),
    trustedRanges: old.trustedRanges,
    roles: [],
    consumers,
    unmapped: [],
    notices: [
      `The certificate is signed by the CA of ${from} (its key stays there, 0600, and was not copied): consumers keep verifying the same CA, so nothing changes for them.`,
      'Rollback puts the old certificate and key back byte for byte and reloads.',
    ],
    backup: { skipped: true, databases: [] },
    matrix: {
      before: { database: 'postgres', sources: [], roles: [], cells: {} },
      after: { database: 'postgres', sources: [], roles: [], cells: {} },
    },
    steps,
    rollback: { command: `pgharden rollback ${dir}`, shell: shellRollback(bound) },
    purpose: 'tls',
    tls: {
      ...old.tls!,
      certFile,
      keyFile,
      caFile: join(dir, TLS_FILES.caCert),
      sha256: facts.sha256,
      names: facts.names,
      notAfter: facts.notAfter,
      expiryWarningDays: o.spec.tls.expiryWarningDays,
      renews: { plan: from, sha256: previous },
    },
  };
  const plan = { ...body, id: planId(body) } as Plan;
  writeSecrets(join(dir, SECRETS_FILE), text);
  savePlan(dir, plan, planKey);
  return { plan, dir };
}
