/**
 * The spec's tls section in an ordinary `pgharden plan`: when TLS was never set up by pgharden on
 * this server and every consumer of the spec moves in this plan, the certificates are made
 * (openssl, in a scratch directory whose files the plan directory then holds under tls/) and each
 * consumer's rewrite also gets sslmode, sslrootcert and channel_binding=require. Otherwise the
 * hardening is planned alone and a notice says which command plans TLS.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { CHECKS, runAudit } from '../audit/run-audit.js';
import { TLS_FINDING_IDS } from '../audit/tls-findings.js';
import type { Snapshot } from '../cluster/introspect.js';
import type { Spec } from '../spec/spec.js';
import { observeFile } from './binding.js';
import { chooseSite } from '../consumers/edit.js';
import { type ConsumerFile, type HardenTls, PlanError } from './input.js';
import type { ExtraFile } from './plan-dir.js';
import { CHANNEL_BINDING } from './stage-harden-tls.js';
import { certificateFacts, generateCertificates, makeRogue, TLS_FILES } from './tls-certificate.js';
import { siteHosts, withConsumerParams } from '../consumers/tls-settings.js';
import { CONSUMER_CA } from './tls-make.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * Whether this plan carries the spec's tls section: `off` (the spec asks for none and the audit
 * finds nothing TLS would fix), `carry`, or a notice: why TLS is left to `plan --tls`, or, with
 * tls off and TLS findings, the proposal to set tls: { mode: verify-full }.
 */
/** The audit checks whose findings TLS resolves. */
const TLS_CHECKS = CHECKS.filter((c) => TLS_FINDING_IDS.includes(c.id));

export function tlsDecision(o: {
  spec: Spec;
  specFile: string;
  consumers: ConsumerFile[];
  inSync: { name: string }[];
  liveCertFile: string | null;
  /** The snapshot the plan is made from: its TLS findings make the plan propose verify-full. */
  snapshot: Snapshot;
}): 'off' | 'carry' | { notice: string } {
  if (o.spec.tls.mode === 'off') {
    const found = runAudit(o.snapshot, TLS_CHECKS).map((f) => f.id);
    if (!found.length) return 'off';
    return {
      notice: `TLS: the audit finds ${[...new Set(found)].join(', ')}: add tls: { mode: verify-full } to ${o.specFile} and plan again, and this plan also turns on the server's TLS and moves every consumer to sslmode=verify-full with channel_binding=require (docs/tls.md)`,
    };
  }
  if (o.liveCertFile && basename(o.liveCertFile) === 'pgharden-server.crt')
    return {
      notice: `TLS: pgharden set up this server's certificate before; the spec's tls section is planned by pgharden plan --spec ${o.specFile} --tls (or --renew-certificate), not by this plan`,
    };
  if (o.inSync.length || !o.consumers.length)
    return {
      notice: `TLS: ${o.inSync.length ? `not every consumer of the spec moves in this plan (${o.inSync.map((c) => c.name).join(', ')} already on its role)` : 'this plan moves no consumer'}, so requiring TLS here could lock one out; once this plan is applied, run pgharden plan --spec ${o.specFile} --tls`,
    };
  return 'carry';
}

/** The consumers' parameters, their rewrites with them, and the certificates; the files the plan directory keeps under tls/. */
export async function prepareHardenTls(o: {
  spec: Spec;
  specDir: string;
  consumers: ConsumerFile[];
  configFile: string;
  planDir: string;
  label: string;
}): Promise<{ tls: HardenTls; consumers: ConsumerFile[]; files: ExtraFile[] }> {
  const t = o.spec.tls;
  const verify = t.mode === 'verify-full';
  const consumers: Record<string, HardenTls['consumers'][string]> = {};
  const names: string[] = [];
  const moved = o.consumers.map((c) => {
    const site = chooseSite(c.path, c.text, c.key, c.format);
    names.push(...siteHosts(site));
    const caPath = join(dirname(c.path), CONSUMER_CA);
    const params: Record<string, string> = verify
      ? { sslmode: 'verify-full', sslrootcert: caPath }
      : { sslmode: 'require' };
    const ref = { ...(c.key ? { key: c.key } : {}), format: c.format };
    const rewritten = withConsumerParams(c.path, c.rewritten, ref, params);
    const bound = withConsumerParams(c.path, rewritten, ref, CHANNEL_BINDING);
    consumers[c.name] = { params, ca: verify ? observeFile(caPath) : null, boundSha256: sha256(bound) };
    return { ...c, rewritten };
  });
  const hosts = [...new Set(names)];
  if (!hosts.length)
    throw new PlanError([
      'tls: no consumer reaches the server over TCP by a host name or address, so there is nothing to put in the certificate; list the consumers in the spec',
    ]);
  const scratch = mkdtempSync(join(tmpdir(), 'pgharden-tls-'));
  try {
    if (t.certificate === 'generate')
      await generateCertificates(scratch, { names: hosts, days: t.days, label: o.label });
    else {
      const from = (p: string) => (isAbsolute(p) ? p : resolve(o.specDir, p));
      await makeRogue(scratch, hosts, 30);
      const own = t.certificate;
      const files = [
        [TLS_FILES.serverCert, own.cert],
        [TLS_FILES.serverKey, own.key],
        [TLS_FILES.caCert, own.ca],
      ] as const;
      const extra = files.map(([name, at]) => ({
        name,
        bytes: readFileSync(from(at)),
        mode: name.endsWith('.key') ? 0o600 : 0o644,
      }));
      const rogue = [TLS_FILES.rogueCert, TLS_FILES.rogueKey].map((name) => ({
        name,
        bytes: readFileSync(join(scratch, name)),
        mode: name.endsWith('.key') ? 0o600 : 0o644,
      }));
      return finish(o, t, consumers, moved, [...extra, ...rogue]);
    }
    const made = Object.values(TLS_FILES).map((name) => ({
      name,
      bytes: readFileSync(join(scratch, name)),
      mode: name.endsWith('.key') ? 0o600 : 0o644,
    }));
    return finish(o, t, consumers, moved, made);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function finish(
  o: { configFile: string; planDir: string },
  t: Spec['tls'],
  consumers: HardenTls['consumers'],
  moved: ConsumerFile[],
  files: ExtraFile[],
): { tls: HardenTls; consumers: ConsumerFile[]; files: ExtraFile[] } {
  const bytes = (name: string) => files.find((f) => f.name === name)!.bytes;
  const facts = certificateFacts(bytes(TLS_FILES.serverCert));
  const confDir = dirname(o.configFile);
  const certFile = join(confDir, 'pgharden-server.crt');
  const keyFile = join(confDir, 'pgharden-server.key');
  return {
    tls: {
      setup: {
        mode: t.mode as 'require' | 'verify-full',
        minProtocol: t.minProtocol,
        certFile,
        keyFile,
        // Where the CA is once the plan directory is in place (its tls/ is written with the plan).
        caFile: join(o.planDir, TLS_FILES.caCert),
        caSha256: sha256(bytes(TLS_FILES.caCert)),
        sha256: facts.sha256,
        names: facts.names,
        notAfter: facts.notAfter,
        expiryWarningDays: t.expiryWarningDays,
      },
      certFile: observeFile(certFile),
      keyFile: observeFile(keyFile),
      certSha256: sha256(bytes(TLS_FILES.serverCert)),
      keySha256: sha256(bytes(TLS_FILES.serverKey)),
      consumers,
    },
    consumers: moved,
    files,
  };
}
