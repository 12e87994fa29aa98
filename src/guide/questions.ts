/**
 * The guide's questions, each with its validation, as plain prompt configurations so that tests
 * can render them with @inquirer/testing. The flow asks them through a `Prompter` (the real
 * @inquirer/prompts functions, or a script in tests).
 */
import type { checkbox, confirm, input, select } from '@inquirer/prompts';
import { parseConninfo, parseIp, parsePrefix } from '../index.js';

export interface Prompter {
  input: typeof input;
  select: typeof select;
  checkbox: typeof checkbox;
  confirm: typeof confirm;
}

/** A CIDR range, or why not. */
export function validateRange(v: string): true | string {
  const [addr, bits] = v.trim().split('/');
  const ip = addr ? parseIp(addr) : null;
  if (!ip || bits === undefined || parsePrefix(bits, ip.family) === null)
    return 'Enter a range in CIDR form, e.g. 10.8.0.0/24';
  if (Number(bits) === 0) return 'A /0 range is the whole internet: pick the network your consumers are on';
  return true;
}

/** A role name pgharden may create, or why not. */
export function validateRoleName(v: string, existing: ReadonlySet<string>): true | string {
  if (!/^[a-z_][a-z0-9_]*$/.test(v))
    return 'Use lower-case letters, digits and _, starting with a letter (no quoting needed then)';
  if (Buffer.byteLength(v) > 63) return 'PostgreSQL names are at most 63 bytes';
  if (v.startsWith('pg_')) return 'Names starting with pg_ are reserved for PostgreSQL';
  if (existing.has(v)) return `Role ${v} already exists; choose a new name`;
  return true;
}

/** A connection string libpq would accept, or libpq's reason it would not. */
function validateDsn(v: string): true | string {
  if (v.trim() === '') return 'Give a connection string, e.g. host=/var/run/postgresql port=5432 user=postgres';
  try {
    parseConninfo(v.trim());
    return true;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A command line split into argv: words, with '…' or "…" around words that hold spaces. */
export function splitCommand(v: string): string[] {
  return [...v.trim().matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** A command as one line the DBA can edit (quoted where a word holds a space). */
export const joinCommand = (argv: readonly string[]) => argv.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ');

const names = (v: string) => v.trim().split(/\s+/).filter(Boolean);

export const questions = {
  dsn: {
    message:
      'Connect to PostgreSQL with (as libpq takes it: host=/var/run/postgresql port=5432 user=postgres, or postgres://…)',
    validate: validateDsn,
  },
  extraRange: {
    message: 'Another trusted range (CIDR; empty when done)',
    default: '',
    validate: (v: string) => v.trim() === '' || validateRange(v),
  },
  roleName: (suggested: string, existing: ReadonlySet<string>) => ({
    message: 'Role name',
    default: suggested,
    validate: (v: string) => validateRoleName(v.trim(), existing),
  }),
  template: (suggested: string) => ({
    message: 'Template',
    default: suggested,
    choices: [
      {
        value: 'app-readwrite',
        name: 'app-readwrite',
        description: 'SELECT/INSERT/UPDATE/DELETE, no DDL, no ownership',
      },
      { value: 'readonly', name: 'readonly', description: 'SELECT only' },
      { value: 'migrator', name: 'migrator', description: 'owns schema objects: for deploys, not the running app' },
    ],
  }),
  scanDirs: (cwd: string) => ({
    message: 'Directories to scan for connection strings (space-separated)',
    default: cwd,
  }),
  databases: (role: string, suggested: string) => ({
    message: `Databases ${role} may use (space-separated)`,
    default: suggested,
    validate: (v: string) => names(v).length > 0 || 'Name at least one database',
  }),
  listenAddresses: (now: string) => ({
    message: `listen_addresses after the change (now ${now || 'not set'}; a new value needs a RESTART; empty keeps it as it is)`,
    default: '',
    validate: (v: string) => !/['\n\\]/.test(v) || 'A comma-separated list of addresses or host names, without quotes',
  }),
  configFileMode: {
    message: "postgresql.conf's mode after the change",
    default: 'auto',
    choices: [
      {
        value: 'auto',
        name: 'auto',
        description:
          "Debian (/etc/postgresql): settings holding a password move to a 0600 file in conf.d, postgresql.conf stays readable so other OS users' psql and pg_dump keep working; elsewhere 0600",
      },
      {
        value: '0600',
        name: '0600',
        description:
          'only the server\'s OS user (and root) reads it; on Debian, psql, pg_dump and pg_lsclusters then fail for every other OS user ("Invalid data directory for cluster")',
      },
      {
        value: '0640',
        name: '0640',
        description: "the server's group reads it too (Debian: pg_lsclusters and psql --cluster for other users)",
      },
      { value: 'keep', name: 'keep', description: 'leave its mode as it is' },
    ],
  },
  tls: (proposed: 'verify-full' | 'off') => ({
    message: 'TLS for the connections from the trusted ranges',
    default: proposed,
    choices: [
      {
        value: 'verify-full',
        name: 'verify-full',
        description:
          'the server turns TLS on by reload with a certificate pgharden makes (docs/tls.md); each consumer verifies it (sslmode=verify-full) and binds its password to the channel (channel_binding=require); plain TCP from the ranges is refused',
      },
      {
        value: 'require',
        name: 'require',
        description:
          'TLS required and each consumer encrypts, without verifying the server (an impostor on the path is not noticed)',
      },
      {
        value: 'off',
        name: 'off',
        description: 'as now: queries and rows cross the network in clear (the audit keeps saying so)',
      },
    ],
  }),
  existingSpec: (file: string) => ({
    message: `${file} already exists. Use it?`,
    default: 'keep',
    choices: [
      { value: 'keep', name: `plan from ${file} as it is` },
      { value: 'fresh', name: `answer the questions again (${file} is replaced only if you say so)` },
    ],
  }),
  overwrite: (file: string) => ({ message: `${file} already exists. Replace it?`, default: false }),
  moreRoles: (none: boolean) => ({
    message: none
      ? 'No connected consumer was given a role. Add a role by hand (for a consumer not connected now)?'
      : 'Add another role by hand (for a consumer not connected now)?',
    default: none,
  }),
  oldUser: (suggested: string) => ({
    message:
      "Which login role does this role's consumer connect as today? (what it ran is the evidence for its tables)",
    default: suggested,
    validate: (v: string) => v.trim() !== '' || 'Name the role it connects as now',
  }),
  moreConsumers: (none: boolean) => ({
    message: none
      ? 'No consumer file was chosen. Add a consumer by hand (its name, file and role)?'
      : 'Add another consumer by hand (its name, file and role)?',
    default: none,
  }),
  consumerName: (taken: ReadonlySet<string>) => ({
    message: 'Consumer name (for the plan and the report)',
    validate: (v: string) =>
      v.trim() === ''
        ? 'Give it a name, e.g. billing-worker'
        : taken.has(v.trim())
          ? `There is already a consumer ${v.trim()}`
          : true,
  }),
  consumerFile: (exists: (path: string) => boolean) => ({
    message: 'Its config file (the one holding the connection string)',
    validate: (v: string) => (v.trim() !== '' && exists(v.trim())) || `No such file: ${v.trim() || '(empty)'}`,
  }),
  consumerKey: {
    message: 'The key holding the connection string in it (e.g. DATABASE_URL; empty when it has only one)',
    default: '',
  },
  consumerApplication: {
    message:
      "Its sessions' application_name (empty: every session of its old login counts as its own, e.g. for the drain)",
    default: '',
  },
  consumerRole: (roles: readonly string[]) => ({
    message: 'Which role does it move to?',
    choices: roles.map((r) => ({ value: r, name: r })),
  }),
  reload: (name: string, suggested: string) => ({
    message: `Command that makes ${name} re-read its settings (empty: none; apply then waits for its old sessions to end)`,
    default: suggested,
  }),
  health: (name: string, suggested: string) => ({
    message: `Command that says ${name} works on its new role (empty: none)`,
    default: suggested,
  }),
  drainTimeout: (name: string) => ({
    message: `How long apply waits for ${name}'s old sessions to end before it stops (seconds)`,
    default: '300',
    validate: (v: string) =>
      (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 86_400) || 'A whole number of seconds, 1 to 86400',
  }),
  specFile: {
    message: 'Write the spec to',
    default: 'harden.yaml',
    validate: (v: string) => /\.(ya?ml|json)$/.test(v.trim()) || 'End the name in .yaml, .yml or .json',
  },
};
