/**
 * What a TLS plan is made from: the server's facts, the files it will touch as they are now, the
 * certificates made in the plan directory, and each consumer's file with the libpq parameters
 * it gets. Gathered read-only by tls-make.ts; the planner (stage-tls*.ts) is pure over it.
 */
import type { FileBinding } from './binding.js';
import type { HbaLine } from '../conf/hba-types.js';
import type { Plan, TlsSetup } from './plan-types.js';

/** One consumer on its way to TLS. */
export interface TlsConsumer {
  name: string;
  path: string;
  format: string;
  key?: string;
  /** The user its connection string logs in as (its sessions are drained by it). */
  user: string;
  database: string | null;
  binding: FileBinding;
  /** sha256 of the file once its parameters are set (the text itself may hold a password). */
  movedSha256: string;
  params: Record<string, string>;
  /** Where its copy of the CA goes (verify-full), readable by the file's owner. */
  ca: FileBinding | null;
  owner: { uid: number; gid: number };
  application?: string;
  clientAddress?: string;
  reload?: string[];
  healthCheck?: string[];
  drainTimeout: number;
}

export interface TlsInput {
  name: string;
  planDir: string;
  createdAt: string;
  version: string;
  target: Plan['target'];
  server: Plan['server'] & { port: number; systemIdentifier: string };
  serverUser: { name: string; uid: number; gid: number };
  setup: TlsSetup;
  /** postgresql.auto.conf as it is now, and its settings. */
  autoConf: FileBinding & { settings: Record<string, string> };
  /** The server's certificate and key where they go, as they are now (usually absent). */
  certFile: FileBinding;
  keyFile: FileBinding;
  /** sha256 of the plan's tls/server.crt and tls/server.key (what the copies must hold). */
  certSha256: string;
  keySha256: string;
  hba: { binding: FileBinding; lines: HbaLine[]; encoding?: 'latin1' };
  trustedRanges: string[];
  consumers: TlsConsumer[];
  /** Every file the plan touches, when the TLS steps are part of a hardening plan (its backups are named in this order). */
  files?: FileBinding[];
}

/** Every file the plan may change, in backup order. */
export function tlsFiles(i: TlsInput): FileBinding[] {
  if (i.files) return i.files;
  const cas = new Map(i.consumers.flatMap((c) => (c.ca ? [[c.ca.path, c.ca] as const] : [])));
  return [i.hba.binding, i.autoConf, i.certFile, i.keyFile, ...i.consumers.map((c) => c.binding), ...cas.values()].map(
    ({ path, sha256, mode, uid, gid, link }) => ({ path, sha256, mode, uid, gid, ...(link ? { link } : {}) }),
  );
}
