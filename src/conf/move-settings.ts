/**
 * Moving settings out of postgresql.conf into a file of their own (pure): Debian's layout keeps
 * postgresql.conf readable by every OS user (pg_wrapper reads it to find a cluster's port), so the
 * settings that hold a password go to a 0600 file in `conf.d/` instead, and each of their lines in
 * the main file becomes a comment that names where it went, without the value.
 */
import { parseConf, quoteValue } from './guc.js';

/** The two texts after a move: the main file with the lines commented out, and the new file. */
export interface MovedSettings {
  kept: string;
  moved: string;
  /** How many lines moved. */
  count: number;
}

const HEADER = [
  '# Written by pgharden: settings that hold a password, moved out of postgresql.conf so that',
  '# postgresql.conf can stay readable for the OS users whose psql and pg_dump read it (pg_wrapper).',
  '# Mode 0600, owned by the server; `pgharden rollback` removes this file and puts the lines back.',
];

/**
 * Splits `text` (postgresql.conf, at `file`): every setting line whose name is in `names` (any
 * case) moves, in order, to the new file; its line in `text` keeps its line ending and becomes
 * `# NAME: moved to TARGET by pgharden`. Other lines are kept byte for byte.
 */
export function moveSettings(text: string, file: string, names: readonly string[], target: string): MovedSettings {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  let kept = '';
  const moved: string[] = [];
  for (const l of parseConf(text, { file })) {
    if (l.kind !== 'setting' || !wanted.has(l.name.toLowerCase())) {
      kept += l.raw;
      continue;
    }
    const ending = l.raw.endsWith('\r\n') ? '\r\n' : l.raw.endsWith('\n') ? '\n' : '';
    kept += `# ${l.name}: moved to ${target} by pgharden${ending}`;
    moved.push(`${l.name} = ${quoteValue(l.value)}`);
  }
  return { kept, moved: `${[...HEADER, ...moved].join('\n')}\n`, count: moved.length };
}

/** The same text with the values of the named settings replaced by `<redacted>`, for reviews. */
export function redactSettings(text: string, file: string, names: readonly string[]): string {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  let out = '';
  for (const l of parseConf(text, { file }))
    out +=
      l.kind === 'setting' && wanted.has(l.name.toLowerCase())
        ? `${l.raw.slice(0, l.valueStart)}'<redacted>'${l.raw.slice(l.valueEnd)}`
        : l.raw;
  return out;
}
