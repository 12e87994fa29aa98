/**
 * The TLS plan (`purpose: 'tls'`), a pure function of what tls-make.ts observed: preflight, the
 * server's TLS on by reload, each consumer moved to verify-full with channel binding, pg_hba.conf
 * requiring TLS, and the negative tests. Rollback puts every file back from the preflight backup
 * (the copied certificate, key and CA copies are removed) and reloads: TLS is as it was.
 */
import { planId, shellRollback } from './planner.js';
import { backupPath, fileState } from './stage-network.js';
import { hostsslSteps, serverTlsSteps, tlsStep, verifyTlsSteps } from './stage-tls.js';
import { tlsConsumerSteps } from './stage-tls-consumers.js';
import { tlsFiles, type TlsInput } from './tls-input.js';
import type { Plan, Step } from './plan-types.js';

export function buildTlsPlan(i: TlsInput, secretsSha256: string): Plan {
  const files = tlsFiles(i);
  const existing = files.filter((f) => f.sha256 !== null);
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
      description: `Copy ${existing.map((f) => f.path).join(', ')} into ${i.planDir}/backup with mode and owner`,
      forward: { do: 'backup', files: existing.map((f) => ({ path: f.path, backup: backupPath(files, f.path) })) },
      before: files.map(fileState),
    }),
    tlsStep({
      id: 'preflight/admin-path',
      stage: 'preflight',
      kind: 'gate',
      description: `Open the admin lifeline: ${i.serverUser.name} over the local socket; it stays open across every reload`,
      forward: { do: 'gate', until: { gate: 'admin-path', user: i.serverUser.name }, timeoutMs: 10_000 },
    }),
    ...serverTlsSteps(i),
    ...tlsConsumerSteps(i),
    ...hostsslSteps(i),
    ...verifyTlsSteps(i),
  ];
  const body: Omit<Plan, 'id'> = {
    schemaVersion: 1,
    name: i.name,
    createdAt: i.createdAt,
    pgharden: i.version,
    target: i.target,
    server: {
      major: i.server.major,
      version: i.server.version,
      hbaFile: i.server.hbaFile,
      configFile: i.server.configFile,
      autoConfFile: i.autoConf.path,
      dataDirectory: i.server.dataDirectory,
      adminRole: i.server.adminRole,
      socketDir: i.server.socketDir,
    },
    binding: {
      systemIdentifier: i.server.systemIdentifier,
      dataDirectory: i.server.dataDirectory,
      port: i.server.port,
      files,
    },
    secretsSha256,
    trustedRanges: i.trustedRanges,
    roles: [],
    consumers: i.consumers.map((c) => ({
      name: c.name,
      path: c.path,
      format: c.format,
      ...(c.key ? { key: c.key } : {}),
      role: c.user,
      oldUser: c.user,
      database: c.database,
    })),
    unmapped: [],
    notices: [
      `The CA's key stays in ${i.planDir}/tls/ca.key (0600): it signs a renewed server certificate; keep the plan directory as private as the server's key.`,
      'Rollback puts pg_hba.conf, postgresql.auto.conf and every consumer file back byte for byte, removes the copied certificate, key and CA copies, and reloads: TLS is as it was.',
    ],
    backup: { skipped: true, databases: [] },
    matrix: {
      before: { database: 'postgres', sources: [], roles: [], cells: {} },
      after: { database: 'postgres', sources: [], roles: [], cells: {} },
    },
    steps,
    rollback: { command: `pgharden rollback ${i.planDir}`, shell: shellRollback(files) },
    purpose: 'tls',
    tls: i.setup,
  };
  return { ...body, id: planId(body) } as Plan;
}
