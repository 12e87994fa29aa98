/**
 * What the planner needs to know about postgresql.conf: whether it is in Debian's layout
 * (/etc/postgresql/V/NAME, where pg_wrapper reads it for every OS user), which of its settings
 * hold a password, and whether those can move to a 0600 file in `conf.d/` without changing any
 * value the server ends up with (they are set in the main file only, and it includes conf.d).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parseConf } from '../conf/guc.js';
import { loadConf } from '../conf/load-conf.js';
import { moveSettings } from '../conf/move-settings.js';
import { readCapped } from '../conf/read-capped.js';
import { observeFile } from './binding.js';
import type { PlanInput } from './input.js';

/** Settings whose value can hold a password: a readable postgresql.conf would show it. */
const SECRET_SETTINGS = new Set([
  'primary_conninfo',
  'archive_command',
  'restore_command',
  'archive_cleanup_command',
  'recovery_end_command',
  'ssl_passphrase_command',
]);

/** The file in conf.d that the secret-bearing settings move to (Debian's layout). */
export const SECRETS_CONF = 'pgharden-secrets.conf';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A setting holds a secret: a command or conninfo with a password in it, any `password=`, or the passphrase command. */
export function holdsSecret(name: string, value: string): boolean {
  const n = name.toLowerCase();
  if (n === 'ssl_passphrase_command') return value.trim() !== '';
  if (/password\s*=/i.test(value)) return true;
  return SECRET_SETTINGS.has(n) && /password|PGPASSWORD|passwd/i.test(value);
}

/** The facts, read from the files (the server's own view of which files it loads). */
export function configFacts(configFile: string, dataDir: string): PlanInput['configFacts'] {
  const loaded = loadConf(configFile);
  const secret = loaded.entries.filter((e) => e.name && holdsSecret(e.name, e.value ?? ''));
  const secretSettings = secret.map((e) => `${e.name} at ${e.file}:${e.line}`);
  const debian = /^\/etc\/postgresql\/([^/]+)\/([^/]+)\/postgresql\.conf$/.exec(configFile);
  const restartCommand = debian ? `pg_ctlcluster ${debian[1]} ${debian[2]} restart` : `pg_ctl restart -D ${dataDir}`;
  const facts: PlanInput['configFacts'] = { debianLayout: debian !== null, secretSettings, restartCommand };
  if (!debian || secret.length === 0) return facts;
  const names = [...new Set(secret.map((e) => e.name!.toLowerCase()))];
  // Each name is set nowhere but the main file (postgresql.auto.conf, read last, wins either way).
  const elsewhere = loaded.entries.some(
    (e) =>
      e.name &&
      names.includes(e.name.toLowerCase()) &&
      e.file !== configFile &&
      !e.file.endsWith('postgresql.auto.conf'),
  );
  const text = readCapped(configFile).toString('utf8');
  const confDir = posix.join(posix.dirname(configFile), 'conf.d');
  const includesConfD = parseConf(text, { file: configFile }).some(
    (l) =>
      l.kind === 'include' &&
      l.directive === 'include_dir' &&
      posix
        .normalize(posix.isAbsolute(l.path) ? l.path : posix.join(posix.dirname(configFile), l.path))
        .replace(/\/$/, '') === confDir,
  );
  if (elsewhere || !includesConfD) return facts;
  const to = posix.join(confDir, SECRETS_CONF);
  const split = moveSettings(text, configFile, names, posix.join('conf.d', SECRETS_CONF));
  return {
    ...facts,
    split: {
      file: observeFile(to),
      names,
      keptSha256: sha256(split.kept),
      movedSha256: sha256(split.moved),
    },
  };
}
