/**
 * The secrets rollback may use. Rollback needs no secret to restore files, and a hardening plan's
 * undo holds none; a rotation's undo gives the old login back its verifier (`<secret:ROLE>`), kept
 * only in the plan's secrets file. Absent or unusable, rollback goes on without it: that undo
 * then fails alone and is reported as kept, with every file still restored.
 */
import { join } from 'node:path';
import { readSecrets, type Secrets } from '../plan/secrets.js';
import { SECRETS_FILE } from '../plan/store.js';
import type { Plan } from '../plan/plan-types.js';

export function rollbackSecrets(dir: string, plan: Plan): Secrets {
  if (plan.purpose !== 'rotate') return {};
  try {
    return readSecrets(join(dir, SECRETS_FILE), plan.secretsSha256);
  } catch {
    return {};
  }
}
