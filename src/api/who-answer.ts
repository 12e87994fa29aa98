/**
 * `inspect who` with a server: what the server answers first once the rule has matched (from
 * the role's stored password and password_encryption), and, for a peer or ident rule with
 * `map=NAME`, which system users the server's pg_ident.conf lets in as the role.
 */
import type pg from 'pg';
import type { ServerContext } from '../conf/context.js';
import { parseIdent, type IdentLine } from '../conf/ident.js';
import { readConfigFile, type ReadFile } from '../conf/load-hba.js';
import { expectedChallenge, type Challenge, type StoredPassword } from '../hba/challenge.js';
import { identEntriesFor, type IdentEntry } from '../hba/ident-map.js';
import type { MatchResult } from '../hba/match.js';

/** The server's facts the first answer rests on, read while connected. */
export interface AnswerFacts {
  /** How the role's password is stored; undefined: pg_authid could not be read (the reason in notes). */
  stored: StoredPassword | undefined;
  passwordEncryption: string;
  identFile: string;
  /** pg_ident.conf's lines; undefined when the file could not be read (the reason in notes). */
  ident: IdentLine[] | undefined;
  major: number;
  memberOf: (user: string, group: string) => boolean;
}

/** The server's first answer for the matched rule. */
export interface WhoAnswer {
  /** For peer/ident: the answer to a system user in `systemUsers`; any other gets `fails`. */
  first: Challenge;
  storedPassword: StoredPassword | 'unknown';
  passwordEncryption: string;
  /** peer/ident only: the system users let in as the role (without `map=`, the role's own name). */
  systemUsers: (Omit<IdentEntry, 'line'> & { line: number | null })[] | null;
  /** peer/ident with `map=NAME`: the map and the file it was read from. */
  identMap: { name: string; file: string } | null;
}

function storedKind(secret: string | null): StoredPassword | undefined {
  if (secret === null) return 'none';
  if (secret.startsWith('SCRAM-SHA-256$')) return 'scram-sha-256';
  if (/^md5[0-9a-f]{32}$/.test(secret)) return 'md5';
  return undefined;
}

/** Reads what the first answer rests on; what cannot be read goes to `notes`. */
export async function readAnswerFacts(
  client: pg.Client,
  o: {
    user: string;
    context: ServerContext;
    memberOf: AnswerFacts['memberOf'];
    readFile?: (path: string) => ReadFile | undefined;
  },
  notes: string[],
): Promise<AnswerFacts> {
  const settings = (
    await client.query<{ enc: string; ident: string }>(
      "SELECT current_setting('password_encryption') AS enc, current_setting('ident_file') AS ident",
    )
  ).rows[0]!;
  let stored: StoredPassword | undefined;
  try {
    const rows = (
      await client.query<{ secret: string | null }>('SELECT rolpassword AS secret FROM pg_authid WHERE rolname = $1', [
        o.user,
      ])
    ).rows;
    stored = rows.length === 0 ? 'none' : storedKind(rows[0]!.secret);
  } catch (err) {
    notes.push(`pg_authid: ${(err as Error).message}; the first answer to an md5 rule is not known`);
  }
  let ident: IdentLine[] | undefined;
  try {
    const read = (o.readFile ?? readConfigFile)(settings.ident);
    ident = parseIdent(read?.text ?? '', { file: settings.ident, context: o.context });
    if (ident.some((l) => l.kind === 'include'))
      notes.push(`${settings.ident}: include directives not followed; only this file's maps are listed`);
  } catch (err) {
    notes.push(`${settings.ident}: ${(err as Error).message}; the ident maps are not known`);
  }
  return {
    stored,
    passwordEncryption: settings.enc,
    identFile: settings.ident,
    ident,
    major: o.context.major,
    memberOf: o.memberOf,
  };
}

/** The first answer for a matched rule; null when nothing matched or the answer is not known. */
export function whoAnswer(result: MatchResult, user: string, f: AnswerFacts): WhoAnswer | null {
  if (result.kind !== 'match') return null;
  const method = result.method;
  const base = { storedPassword: f.stored ?? ('unknown' as const), passwordEncryption: f.passwordEncryption };
  if (method === 'peer' || method === 'ident') {
    const map = result.rule.options.find((x) => x.name === 'map')?.value;
    if (map !== undefined && f.ident === undefined) return null;
    const systemUsers =
      map === undefined
        ? [{ line: null, systemUser: user, pattern: false }]
        : identEntriesFor(f.ident!, { map, role: user, major: f.major, memberOf: f.memberOf });
    return {
      ...base,
      first: expectedChallenge(method, f.stored ?? 'none', { peerAccepted: systemUsers.length > 0 }),
      systemUsers,
      identMap: map === undefined ? null : { name: map, file: f.identFile },
    };
  }
  if (method === 'md5' && f.stored === undefined) return null;
  return {
    ...base,
    first: expectedChallenge(method, f.stored ?? 'none', { passwordEncryption: f.passwordEncryption }),
    systemUsers: null,
    identMap: null,
  };
}
