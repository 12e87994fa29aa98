/**
 * `pgharden plan --tls`'s core: reads the live server and the consumers' files (read-only),
 * makes the certificates in the plan directory (or copies the operator's), and saves the TLS
 * plan. `review`, `apply`, `status` and `rollback` take it from there like any plan.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { firstDirectory } from '../conf/guc-list.js';
import { connect, osUserName, recordTarget, type ConnectOptions } from '../connect/connect.js';
import { contextFromServer } from '../cluster/build-options.js';
import { parseHba } from '../conf/hba.js';
import { readCapped } from '../conf/read-capped.js';
import { InputError } from '../core/errors.js';
import type { Spec } from '../spec/spec.js';
import { observeFile } from './binding.js';
import { chooseSite } from '../consumers/edit.js';
import { PlanError } from './input.js';
import { autoConfSettings } from './make.js';
import { newPlanKey, newSecrets, secretsText, sha256Text } from './secrets.js';
import { discardStagedPlanDir, finishPlanDir, stagePlanDir } from './plan-dir.js';
import { certificateFacts, generateCertificates, makeRogue, TLS_FILES } from './tls-certificate.js';
import { siteHosts, withConsumerParams } from '../consumers/tls-settings.js';
import type { TlsConsumer, TlsInput } from './tls-input.js';
import { buildTlsPlan } from './tls-plan.js';
import { tlsDifferences } from './tls-state.js';
import type { Plan } from './plan-types.js';

export interface TlsPlanOptions {
  spec: Spec;
  specFile: string;
  out: string;
  connection: ConnectOptions;
  version: string;
  now: Date;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const FACTS = `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version,
  current_setting('data_directory') AS data_directory, current_setting('config_file') AS config_file,
  current_setting('hba_file') AS hba_file, current_setting('port') AS port,
  current_setting('unix_socket_directories') AS sockets, current_setting('ssl') AS ssl,
  current_setting('ssl_min_protocol_version') AS min_protocol, current_setting('ssl_cert_file') AS cert_file,
  (SELECT system_identifier::text FROM pg_control_system()) AS sysid`;

/** The name of the CA copy beside each consumer file. */
export const CONSUMER_CA = 'pgharden-ca.crt';

function consumerOf(c: Spec['consumers'][number], specDir: string, spec: Spec): TlsConsumer & { hosts: string[] } {
  const path = isAbsolute(c.file) ? c.file : resolve(specDir, c.file);
  const text = readCapped(path).toString('utf8');
  const site = chooseSite(path, text, c.key, c.format);
  if (!site.user)
    throw new PlanError([`consumer "${c.name}": the connection string in ${path} (line ${site.line}) names no user`]);
  const verify = spec.tls.mode === 'verify-full';
  const caPath = join(dirname(path), CONSUMER_CA);
  const params: Record<string, string> = verify
    ? { sslmode: 'verify-full', sslrootcert: caPath, channel_binding: 'require' }
    : { sslmode: 'require', channel_binding: 'require' };
  let moved: string;
  try {
    moved = withConsumerParams(
      path,
      text,
      { ...(c.key ? { key: c.key } : {}), ...(c.format ? { format: c.format } : {}) },
      params,
    );
  } catch (err) {
    throw new PlanError([`consumer "${c.name}": ${(err as Error).message}`]);
  }
  const st = statSync(path);
  const key = c.key ?? site.key ?? undefined;
  return {
    name: c.name,
    path,
    format: c.format ?? (site.kind === 'service' ? 'pg_service' : 'text'),
    ...(key ? { key } : {}),
    user: site.user,
    database: site.database,
    binding: observeFile(path),
    movedSha256: sha256(moved),
    params,
    ca: verify ? observeFile(caPath) : null,
    owner: { uid: st.uid, gid: st.gid },
    ...(c.application ? { application: c.application } : {}),
    ...(c.clientAddress ? { clientAddress: c.clientAddress } : {}),
    ...(c.reload ? { reload: c.reload } : {}),
    ...(c.healthCheck ? { healthCheck: c.healthCheck } : {}),
    drainTimeout: c.drainTimeout,
    hosts: siteHosts(site),
  };
}

/** What `plan` reports when the server is at the spec's TLS state: no step, nothing saved. */
function atTlsState(o: TlsPlanOptions, f: Record<string, string>): Plan {
  return {
    target: recordTarget(o.connection),
    binding: { systemIdentifier: f.sysid!, dataDirectory: f.data_directory!, port: Number(f.port), files: [] },
    notices: [
      `TLS is as the spec says: ssl on, ssl_min_protocol_version ${o.spec.tls.minProtocol}, TLS required in pg_hba.conf, every consumer on ${o.spec.tls.mode}; renew the certificate with pgharden plan --renew-certificate`,
    ],
    steps: [],
    purpose: 'tls',
    nothingToDo: true,
  } as unknown as Plan;
}

/**
 * Makes and saves the TLS plan; returns it with its directory, or with `dir` null and
 * `plan.nothingToDo` when the server and consumers are already at the spec's TLS state.
 */
export async function makeTlsPlan(o: TlsPlanOptions): Promise<{ plan: Plan; dir: string | null }> {
  const tls = o.spec.tls;
  if (tls.mode === 'off')
    throw new InputError(
      `${o.specFile}: tls.mode is off, so there is no TLS plan to make`,
      'set tls: { mode: verify-full } in the spec, then run pgharden plan --tls again',
    );
  const mode = tls.mode;
  const dir = resolve(o.out);
  const specDir = dirname(resolve(o.specFile));
  const client = await connect(o.connection);
  let f: Record<string, string>;
  let context: Awaited<ReturnType<typeof contextFromServer>>['context'];
  try {
    f = (await client.query<Record<string, string>>(FACTS)).rows[0]!;
    context = (await contextFromServer(client)).context;
  } finally {
    await client.end().catch(() => undefined);
  }
  const problems: string[] = [];
  const consumers: (TlsConsumer & { hosts: string[] })[] = [];
  for (const c of o.spec.consumers) {
    try {
      consumers.push(consumerOf(c, specDir, o.spec));
    } catch (err) {
      if (err instanceof PlanError) problems.push(...err.problems);
      else problems.push(`consumer "${c.name}": ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new PlanError(problems);
  const names = [...new Set(consumers.flatMap((c) => c.hosts))];
  if (!names.length)
    throw new PlanError([
      'tls: no consumer reaches the server over TCP by a host name or address, so there is nothing to put in the certificate; list the consumers in the spec',
    ]);
  const dataStat = statSync(f.data_directory!);
  const serverUser = { name: osUserName(dataStat.uid), uid: dataStat.uid, gid: dataStat.gid };
  const confDir = dirname(f.config_file!);
  const certFile = join(confDir, 'pgharden-server.crt');
  const keyFile = join(confDir, 'pgharden-server.key');
  const hbaText = readCapped(f.hba_file!).toString('utf8');
  const autoPath = join(f.data_directory!, 'postgresql.auto.conf');
  const hbaLines = parseHba(hbaText, { file: f.hba_file!, context: { ...context, ssl: true } });
  const own = tls.certificate === 'generate' ? null : tls.certificate.cert;
  const differs = tlsDifferences({
    tls,
    live: {
      ssl: f.ssl!,
      minProtocol: f.min_protocol!,
      certFile: isAbsolute(f.cert_file!) ? f.cert_file! : join(f.data_directory!, f.cert_file!),
    },
    hba: hbaLines,
    trustedRanges: o.spec.network.trustedRanges,
    consumers,
    names,
    ownCert: own && (isAbsolute(own) ? own : resolve(specDir, own)),
    now: o.now,
  });
  // Already there: no directory, no new CA, nothing to apply.
  if (!differs.length) return { plan: atTlsState(o, f), dir: null };

  // Made whole or not at all: the certificates are made in a directory beside the plan's, which
  // becomes the plan directory once plan.json is written there (a failed openssl leaves nothing).
  const staged = stagePlanDir(dir);
  let made: { plan: Plan; planKey: string; text: string };
  try {
    made = await stagedPlan(staged);
  } catch (err) {
    discardStagedPlanDir(staged);
    throw err;
  }
  finishPlanDir(dir, staged, made.plan, made.planKey, made.text);
  return { plan: made.plan, dir };

  /** The certificates in `staged`, and the plan, whose paths name `dir`, where it will be. */
  async function stagedPlan(staged: string): Promise<{ plan: Plan; planKey: string; text: string }> {
    const label = `port ${f.port} system ${f.sysid}`;
    let facts: ReturnType<typeof certificateFacts>;
    if (tls.certificate === 'generate') facts = await generateCertificates(staged, { names, days: tls.days, label });
    else {
      const own = tls.certificate;
      const from = (p: string) => (isAbsolute(p) ? p : resolve(specDir, p));
      mkdirSync(join(staged, 'tls'), { mode: 0o700 });
      copyFileSync(from(own.cert), join(staged, TLS_FILES.serverCert));
      copyFileSync(from(own.key), join(staged, TLS_FILES.serverKey));
      copyFileSync(from(own.ca), join(staged, TLS_FILES.caCert));
      await makeRogue(staged, names, 30);
      facts = certificateFacts(readFileSync(join(staged, TLS_FILES.serverCert)));
    }
    const caBytes = readFileSync(join(staged, TLS_FILES.caCert));
    const input: TlsInput = {
      name: dir.split('/').at(-1)!,
      planDir: dir,
      createdAt: o.now.toISOString(),
      version: o.version,
      target: recordTarget(o.connection),
      server: {
        major: Math.floor(Number(f.num) / 10000),
        version: f.version!,
        hbaFile: f.hba_file!,
        configFile: f.config_file!,
        autoConfFile: autoPath,
        dataDirectory: f.data_directory!,
        adminRole: serverUser.name,
        socketDir: firstDirectory(f.sockets) ?? null,
        port: Number(f.port),
        systemIdentifier: f.sysid!,
      },
      serverUser,
      setup: {
        mode,
        minProtocol: tls.minProtocol,
        certFile,
        keyFile,
        caFile: join(dir, TLS_FILES.caCert),
        caSha256: sha256(caBytes),
        sha256: facts.sha256,
        names: facts.names,
        notAfter: facts.notAfter,
        expiryWarningDays: tls.expiryWarningDays,
      },
      autoConf: { ...observeFile(autoPath), settings: autoConfSettings(autoPath) },
      certFile: observeFile(certFile),
      keyFile: observeFile(keyFile),
      certSha256: sha256(readFileSync(join(staged, TLS_FILES.serverCert))),
      keySha256: sha256(readFileSync(join(staged, TLS_FILES.serverKey))),
      hba: {
        binding: observeFile(f.hba_file!),
        lines: hbaLines,
      },
      trustedRanges: o.spec.network.trustedRanges,
      consumers: consumers.map(({ hosts: _hosts, ...c }) => c),
    };
    const planKey = newPlanKey();
    const text = secretsText(newSecrets([]), planKey);
    return { plan: buildTlsPlan(input, sha256Text(text)), planKey, text };
  }
}
