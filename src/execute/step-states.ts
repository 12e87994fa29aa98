/**
 * Observing the world as a step's `before` and `after` states describe it. Resume and review
 * compare these with what the plan expects: equal to `after` → done; equal to `before` → run;
 * anything else → drift.
 */
import { readFileSync } from 'node:fs';
import { parseConf } from '../conf/guc.js';
import { observeFile } from '../plan/binding.js';
import type { State } from '../plan/plan-types.js';
import type { AdminSession } from './admin.js';

export interface Observed {
  matches: boolean;
  /** What was seen, for a drift report. */
  now: string;
  expected: string;
}

const octal = (m: number | null) => (m === null ? 'absent' : m.toString(8).padStart(4, '0'));

/** The value postgresql.auto.conf gives a setting (the last line wins), or null. */
export function autoSetting(autoConfFile: string, name: string): string | null {
  let text: string;
  try {
    text = readFileSync(autoConfFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let value: string | null = null;
  for (const l of parseConf(text, { file: autoConfFile }))
    if (l.kind === 'setting' && l.name.toLowerCase() === name) value = l.value;
  return value;
}

export async function observe(s: State, admin: AdminSession, autoConfFile: string): Promise<Observed> {
  switch (s.of) {
    case 'none':
      return { matches: true, now: '-', expected: '-' };
    case 'file': {
      const f = observeFile(s.path);
      const describe = (x: { sha256: string | null; mode: number | null; uid: number | null; gid: number | null }) =>
        x.sha256 === null
          ? `${s.path} absent`
          : `${s.path} sha256 ${x.sha256.slice(0, 12)}… mode ${octal(x.mode)} owner ${x.uid}:${x.gid}`;
      const matches =
        f.sha256 === s.sha256 && (s.sha256 === null || (f.mode === s.mode && f.uid === s.uid && f.gid === s.gid));
      return { matches, now: describe(f), expected: describe(s) };
    }
    case 'role': {
      const rows = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [s.name]);
      return {
        matches: rows.length > 0 === s.exists,
        now: `role ${s.name} ${rows.length ? 'exists' : 'absent'}`,
        expected: `role ${s.name} ${s.exists ? 'exists' : 'absent'}`,
      };
    }
    case 'role-attrs': {
      const rows = await admin.query<{ l: boolean; s: boolean }>(
        'SELECT rolcanlogin AS l, rolsuper AS s FROM pg_roles WHERE rolname = $1',
        [s.name],
      );
      const show = (x: { l: boolean; s: boolean } | undefined) =>
        x
          ? `role ${s.name} ${x.l ? 'LOGIN' : 'NOLOGIN'} ${x.s ? 'SUPERUSER' : 'NOSUPERUSER'}`
          : `role ${s.name} absent`;
      return {
        matches: rows[0]?.l === s.login && rows[0]?.s === s.superuser,
        now: show(rows[0]),
        expected: show({ l: s.login, s: s.superuser }),
      };
    }
    case 'mark': {
      const rows = await admin.query<{ d: string | null }>(
        "SELECT shobj_description(oid, 'pg_authid') AS d FROM pg_roles WHERE rolname = $1",
        [s.role],
      );
      const present = (rows[0]?.d ?? '').split(/\s+/).includes(s.step);
      return {
        matches: present === s.present,
        now: `${s.step} ${present ? 'committed' : 'not committed'}`,
        expected: `${s.step} ${s.present ? 'committed' : 'not committed'}`,
      };
    }
    case 'auto-setting': {
      const v = autoSetting(autoConfFile, s.name);
      const show = (x: string | null) => `${s.name} ${x === null ? 'not set' : `= '${x}'`} in postgresql.auto.conf`;
      return { matches: v === s.value, now: show(v), expected: show(s.value) };
    }
    default:
      throw new Error(`internal: unknown state ${JSON.stringify(s)}`);
  }
}

/** Every state of a list observed; `matches` when all do. */
export async function observeAll(
  states: readonly State[],
  admin: AdminSession,
  autoConfFile: string,
): Promise<{ matches: boolean; seen: Observed[] }> {
  const seen: Observed[] = [];
  for (const s of states) seen.push(await observe(s, admin, autoConfFile));
  return { matches: seen.every((o) => o.matches), seen };
}
