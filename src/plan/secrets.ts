/**
 * `plans/NAME/secrets`: the new roles' passwords and their SCRAM verifiers, the only place
 * besides consumer files where a password is written. Mode 0600, created exclusively, never
 * printed. plan.json records its sha256 so a plan and its secrets cannot be mixed up.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { generatePassword, scramVerifier } from './scram.js';
import { RefusedError } from '../core/errors.js';

export interface RoleSecret {
  password: string;
  /** The SCRAM-SHA-256 verifier sent to the server in CREATE ROLE (also a secret: it allows offline guessing). */
  verifier: string;
}

export type Secrets = Record<string, RoleSecret>;

/** A password and verifier for each role. */
export function newSecrets(roles: readonly string[]): Secrets {
  return Object.fromEntries(
    roles.map((r) => {
      const password = generatePassword();
      return [r, { password, verifier: scramVerifier(password) }];
    }),
  );
}

/** A fresh key for the plan's HMAC: kept only in the secrets file, so plan.json cannot be re-signed without it. */
export const newPlanKey = () => randomBytes(32).toString('hex');

export function secretsText(s: Secrets, planKey: string): string {
  return `${JSON.stringify({ schemaVersion: 1, roles: s, planKey }, null, 2)}\n`;
}

/**
 * The plan's HMAC key from the secrets file; null when the file or the key is absent (the file
 * may have been deleted after apply; the caller decides whether it can go on without the key).
 */
export function readPlanKey(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SecretsError(
      `Cannot read the plan's secrets file "${path}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); it holds the key that proves plan.json is the plan as made`,
    );
  }
  try {
    const key = (JSON.parse(text) as { planKey?: unknown }).planKey;
    return typeof key === 'string' && /^[0-9a-f]{64}$/.test(key) ? key : null;
  } catch {
    throw new SecretsError(`"${path}" is not a pgharden secrets file (not valid JSON); make a new plan`);
  }
}

export const sha256Text = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Writes the secrets file; refuses to replace one. */
export function writeSecrets(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A secrets file that cannot be used, and why. */
export class SecretsError extends RefusedError {}

/** Reads the secrets file, checking its mode and that it is the one the plan was made with. */
export function readSecrets(path: string, expectedSha256: string): Secrets {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SecretsError(
      `Cannot read the plan's secrets file "${path}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); without it the new roles' passwords are unknown: make a new plan`,
    );
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new SecretsError(
      `"${path}" has mode ${mode.toString(8).padStart(4, '0')}: other accounts may have read the passwords; make a new plan (the old passwords were never set)`,
    );
  if (sha256Text(text) !== expectedSha256)
    throw new SecretsError(
      `"${path}" is not the secrets file this plan was made with (its sha256 differs); make a new plan`,
    );
  return (JSON.parse(text) as { roles: Secrets }).roles;
}
