/** The audit: every check over one snapshot, findings ordered by severity. */
import type { Snapshot } from '../cluster/introspect.js';
import { check as archiveLag } from './checks/archive-lag.js';
import { check as backupSameHost } from './checks/backup-same-host.js';
import { check as backupStale } from './checks/backup-stale.js';
import { check as confFileErrors } from './checks/conf-file-errors.js';
import { check as dataDirectoryMode } from './checks/data-directory-mode.js';
import { check as drillStale } from './checks/drill-stale.js';
import { check as fileOwner } from './checks/file-owner.js';
import { check as filePermissions } from './checks/file-permissions.js';
import { check as hbaFileErrors } from './checks/hba-file-errors.js';
import { check as hbaMd5 } from './checks/hba-md5.js';
import { check as hbaNotLoaded } from './checks/hba-not-loaded.js';
import { check as hbaPasswordCleartext } from './checks/hba-password-cleartext.js';
import { check as hbaShadowed } from './checks/hba-shadowed.js';
import { check as hbaSslNotRequired } from './checks/hba-ssl-not-required.js';
import { check as hbaTrustLocal } from './checks/hba-trust-local.js';
import { check as hbaTrustNetwork } from './checks/hba-trust-network.js';
import { check as hbaTrustReplication } from './checks/hba-trust-replication.js';
import { check as hbaWideRange } from './checks/hba-wide-range.js';
import { check as listenAllWide } from './checks/listen-all-wide.js';
import { check as logConnections } from './checks/log-connections.js';
import { check as loginCreaterole } from './checks/login-createrole.js';
import { check as multipleSuperusers } from './checks/multiple-superusers.js';
import { check as passwordAge } from './checks/password-age.js';
import { check as passwordEncryption } from './checks/password-encryption.js';
import { check as publicSchemaCreate } from './checks/public-schema-create.js';
import { check as rolesMd5Stored } from './checks/roles-md5-stored.js';
import { check as rolesNoPasswordNetwork } from './checks/roles-no-password-network.js';
import { check as scramIterations } from './checks/scram-iterations.js';
import { check as sslKeyPermissions } from './checks/ssl-key-permissions.js';
import { check as tlsCertExpiring } from './checks/tls-cert-expiring.js';
import { check as tlsConsumerUnverified } from './checks/tls-consumer-unverified.js';
import { check as tlsKeyOwner } from './checks/tls-key-owner.js';
import { check as tlsMinProtocolWeak } from './checks/tls-min-protocol-weak.js';
import { check as tlsSessionsPlain } from './checks/tls-sessions-plain.js';
import { check as sslOffNetwork } from './checks/ssl-off-network.js';
import { check as superuserConnected } from './checks/superuser-connected.js';
import { check as superuserNetwork } from './checks/superuser-network.js';
import { check as walArchivingFailing } from './checks/wal-archiving-failing.js';
import { check as walArchivingOff } from './checks/wal-archiving-off.js';
import { SEVERITIES, type AuditCheck, type Finding } from './finding-types.js';

/** Every check, one file each under checks/. */
export const CHECKS: readonly AuditCheck[] = [
  backupStale,
  confFileErrors,
  dataDirectoryMode,
  drillStale,
  fileOwner,
  filePermissions,
  hbaFileErrors,
  hbaMd5,
  hbaNotLoaded,
  hbaPasswordCleartext,
  hbaShadowed,
  hbaSslNotRequired,
  hbaTrustLocal,
  hbaTrustNetwork,
  hbaTrustReplication,
  hbaWideRange,
  listenAllWide,
  logConnections,
  loginCreaterole,
  multipleSuperusers,
  passwordAge,
  passwordEncryption,
  publicSchemaCreate,
  rolesMd5Stored,
  rolesNoPasswordNetwork,
  scramIterations,
  sslKeyPermissions,
  tlsMinProtocolWeak,
  tlsCertExpiring,
  tlsConsumerUnverified,
  tlsKeyOwner,
  tlsSessionsPlain,
  sslOffNetwork,
  superuserConnected,
  superuserNetwork,
  walArchivingFailing,
  archiveLag,
  backupSameHost,
  walArchivingOff,
];

/** Runs every check; findings by severity (critical first), then by id. */
export function runAudit(s: Snapshot, checks: readonly AuditCheck[] = CHECKS): Finding[] {
  const findings: Finding[] = [];
  for (const c of checks) for (const f of c.run(s)) findings.push({ id: c.id, title: c.title, ...f });
  return findings.sort(
    (a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || a.id.localeCompare(b.id),
  );
}
