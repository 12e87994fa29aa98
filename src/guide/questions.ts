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
  specFile: {
    message: 'Write the spec to',
    default: 'harden.yaml',
    validate: (v: string) => /\.(ya?ml|json)$/.test(v.trim()) || 'End the name in .yaml, .yml or .json',
  },
};
