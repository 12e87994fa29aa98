/**
 * String values in structured consumer files (JSON, YAML, TOML), found by the file's own parser
 * (yaml-values.ts, toml-values.ts) with their key, read as that parser reads them (escapes undone)
 * and written back in the same quoting: only the value's bytes change, so a libpq DSN held in one
 * can be edited like any other.
 */
import { InputError, RefusedError } from '../core/errors.js';
import type { Quoting, StringValue } from './structured-value.js';
import { tomlValues } from './toml-values.js';
import { yamlValues } from './yaml-values.js';

export type { AliasRef, Quoting, StringValue } from './structured-value.js';

export type Dialect = 'json' | 'yaml' | 'toml';

/** The dialect of a file: the spec's format, else its extension; undefined for line formats (.env, INI, systemd). */
export function dialectOf(file: string, format?: string): Dialect | undefined {
  if (format === 'json' || format === 'yaml' || format === 'toml') return format;
  if (format !== undefined && format !== 'text') return undefined;
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  return ext === 'json' ? 'json' : ext === 'yaml' || ext === 'yml' ? 'yaml' : ext === 'toml' ? 'toml' : undefined;
}

const hex = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;

/** A double-quoted string: JSON's escapes, which TOML basic and YAML double-quoted strings read too. */
function doubleQuoted(value: string, q: Quoting): string {
  const json = JSON.stringify(value);
  if (q === 'json') return json;
  // TOML basic strings must escape DEL; YAML double-quoted ones every non-printable character.
  return q.startsWith('toml') ? json.replace(/\x7f/g, hex) : json.replace(/[\x7f-\x84\x86-\x9f]/g, hex);
}

/** A plain YAML scalar must not start with an indicator nor hold `: `, ` #` or (in a flow collection) `,[]{}`. */
const plainYamlOk = (v: string) =>
  v !== '' && !/^[-?:,[\]{}#&*!|>'"%@`\s]/.test(v) && !/: | #|\s$|[,[\]{}\x00-\x1f\x7f-\x9f]/.test(v);

/**
 * The scalar, quotes included, that `value` is written as in the quoting it had: JSON escaping
 * for JSON, TOML basic and YAML double-quoted strings. A TOML literal string cannot hold `'` and
 * a plain YAML scalar cannot hold everything: those become double-quoted; a multi-line TOML
 * string becomes a one-line one.
 */
export function encodeValue(value: string, q: Quoting): string {
  if (q === 'yaml-single' && !/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(value)) return `'${value.replaceAll("'", "''")}'`;
  if ((q === 'toml-literal' || q === 'toml-literal-multi') && !/['\x00-\x08\x0a-\x1f\x7f]/.test(value))
    return `'${value}'`;
  if (q === 'yaml-plain' && plainYamlOk(value)) return value;
  return doubleQuoted(value, q);
}

/**
 * The scalar that replaces a value at `line` of `file`. A YAML block scalar (`|`, `>`) is not
 * rewritten: its end depends on the lines after it, and pgharden edits only the value's bytes.
 */
export function writeValue(file: string, at: { line: number; key: string | null }, value: string, q: Quoting): string {
  if (q === 'yaml-block')
    throw new InputError(
      `"${file}" line ${at.line}: the connection string under "${at.key}" is a YAML block scalar (| or >), which pgharden does not rewrite`,
      `write it on one line (${at.key}: "host=… user=…") in "${file}" and run the command again`,
    );
  return encodeValue(value, q);
}

/** Every keyed string value in a file of `dialect`, in file order; a file its parser refuses is an InputError naming the line. */
export function stringValues(text: string, dialect: Dialect, file = 'the file'): StringValue[] {
  if (dialect === 'toml') return tomlValues(text, file);
  return yamlValues(text, file, dialect === 'json');
}

/** The dialect whose parser reads a quoting. */
const dialectOfQuoting = (q: Quoting): Dialect => (q === 'json' ? 'json' : q.startsWith('yaml') ? 'yaml' : 'toml');

/**
 * The text with the scalar at [start, end) replaced by `value` in its quoting, after the file's
 * parser has read the new text back and found exactly `value` there: a value pgharden would
 * write wrongly is refused, never written.
 */
export function replaceValue(
  file: string,
  text: string,
  at: { start: number; end: number; line: number; key: string | null; quoting: Quoting },
  value: string,
): string {
  const out = text.slice(0, at.start) + writeValue(file, at, value, at.quoting) + text.slice(at.end);
  let back: StringValue | undefined;
  try {
    back = stringValues(out, dialectOfQuoting(at.quoting), file).find((v) => v.start === at.start);
  } catch {
    back = undefined;
  }
  if (back?.value !== value)
    throw new RefusedError(
      `"${file}" line ${at.line}: the new value under "${at.key}" would not read back as written; nothing was changed`,
      `write the value in double quotes in "${file}" and run the command again`,
    );
  return out;
}
