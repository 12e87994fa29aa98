/**
 * The object store's secrets file, beside pgBackRest's configuration (`15-main.conf` →
 * `15-main.secrets`), mode 0600 root: the repository's generated aes-256-cbc passphrase and the
 * S3 keys read from the environment. `pitr enable` writes it when it makes the plan, so neither
 * ever enters the plan directory; apply copies its option lines into the configuration, which
 * pgBackRest must read them from (archive-push runs from the server with no environment of its
 * own, and pgBackRest takes a passphrase from no file but its configuration). It is the thing to
 * keep elsewhere: without the passphrase no backup in the bucket can be read.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { secretsFileText } from './enable-input.js';
import type { S3Keys } from './enable-repo.js';

const HEADER = /^# pgBackRest repository secrets for stanza .*, written by pgharden pitr enable\./;

/** Where the secrets file of a configuration file goes. */
export const secretsPathFor = (configFile: string) =>
  configFile.endsWith('.conf') ? `${configFile.slice(0, -5)}.secrets` : `${configFile}.secrets`;

/** An existing file there must be one pgharden wrote (a second run reuses its passphrase). */
export function secretsProblems(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isFile() || !HEADER.test(readFileSync(path, 'utf8')))
    return [
      `${path} (the repository's secrets file beside --config) exists and pgharden did not write it: choose another --config`,
    ];
  return [];
}

/** The file's text: the passphrase of an earlier run kept (the bucket may hold what it encrypted), else a new one. */
export function repoSecretsText(path: string, stanza: string, keys: S3Keys): string {
  const earlier = existsSync(path) ? /^repo1-cipher-pass=(.+)$/m.exec(readFileSync(path, 'utf8'))?.[1] : undefined;
  return secretsFileText(stanza, earlier ?? randomBytes(48).toString('base64url'), keys);
}

/** Writes the file 0600, owned by pgharden's user, root (its directory 0755 when missing: the plan's directory steps then find it). */
export function writeRepoSecrets(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const uid = process.getuid?.() ?? 0;
  writeFileAtomic(path, text, { mode: 0o600, uid, gid: process.getgid?.() ?? 0 });
}
