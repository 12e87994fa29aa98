/**
 * String values in structured consumer files (JSON, YAML, TOML), found with their key, read as
 * the file's own parser reads them (escapes undone) and written back in the same quoting, so a
 * libpq keyword/value DSN held in one can be edited like any other. Each value is one line.
 */
import { parse as parseYaml } from 'yaml';

export type Dialect = 'json' | 'yaml' | 'toml';

/** How a value is written in its file. */
export type Quoting = 'json' | 'yaml-plain' | 'yaml-single' | 'yaml-double' | 'toml-basic' | 'toml-literal';

export interface StringValue {
  key: string;
  line: number;
  /** Offsets of the whole scalar, its quotes included. */
  start: number;
  end: number;
  /** The value as the file's parser reads it. */
  value: string;
  quoting: Quoting;
}

/** The dialect of a file: the spec's format, else its extension; undefined for line formats (.env, INI, systemd). */
export function dialectOf(file: string, format?: string): Dialect | undefined {
  if (format === 'json' || format === 'yaml' || format === 'toml') return format;
  if (format !== undefined && format !== 'text') return undefined;
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  return ext === 'json' ? 'json' : ext === 'yaml' || ext === 'yml' ? 'yaml' : ext === 'toml' ? 'toml' : undefined;
}

const lineOf = (text: string, at: number) => text.slice(0, at).split('\n').length;

/** JSON escapes, which TOML basic strings and YAML double-quoted scalars also read. */
const jsonDecode = (raw: string) => JSON.parse(`"${raw}"`) as string;
const jsonEncode = (value: string) => JSON.stringify(value).slice(1, -1);

function decode(raw: string, q: Quoting): string | undefined {
  try {
    if (q === 'json' || q === 'toml-basic') return jsonDecode(raw);
    if (q === 'yaml-double') return String(parseYaml(`"${raw}"`));
    if (q === 'yaml-single') return raw.replaceAll("''", "'");
    return raw;
  } catch {
    return undefined;
  }
}

/** A plain YAML scalar must not start with an indicator nor hold `: ` or ` #`. */
const plainYamlOk = (v: string) => v !== '' && !/^[-?:,[\]{}#&*!|>'"%@`\s]/.test(v) && !/: | #|\s$/.test(v);

/**
 * The scalar, quotes included, that `value` is written as in the quoting it had: JSON escaping
 * for JSON, TOML basic and YAML double-quoted strings. A TOML literal string cannot hold `'` and
 * a plain YAML scalar cannot hold everything: those become double-quoted.
 */
export function encodeValue(value: string, q: Quoting): string {
  if (q === 'yaml-single') return `'${value.replaceAll("'", "''")}'`;
  if (q === 'toml-literal' && !/['\n\r]/.test(value)) return `'${value}'`;
  if (q === 'yaml-plain' && plainYamlOk(value)) return value;
  return `"${jsonEncode(value)}"`;
}

/** The closing quote of a value starting at `open` (escapes or doubled quotes skipped), or -1. */
function closing(text: string, open: number, q: Quoting): number {
  const quote = text[open]!;
  for (let i = open + 1; i < text.length && text[i] !== '\n'; i++) {
    if ((q === 'json' || q === 'toml-basic' || q === 'yaml-double') && text[i] === '\\') i++;
    else if (q === 'yaml-single' && text[i] === "'" && text[i + 1] === "'") i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

/** Records the scalar at [start, end); a quoted one's text is read between its quotes. */
function push(out: StringValue[], text: string, key: string, start: number, end: number, quoting: Quoting): void {
  const value = decode(quoting === 'yaml-plain' ? text.slice(start, end) : text.slice(start + 1, end - 1), quoting);
  if (value !== undefined) out.push({ key, line: lineOf(text, start), start, end, value, quoting });
}

/** Every `"key": "value"` string pair of a JSON text, at any depth. */
function jsonValues(text: string): StringValue[] {
  const out: StringValue[] = [];
  for (const m of text.matchAll(/"((?:[^"\\\n]|\\.)*)"\s*:\s*"/g)) {
    const open = m.index + m[0].length - 1;
    const close = closing(text, open, 'json');
    const key = decode(m[1]!, 'json');
    if (close > 0 && key !== undefined) push(out, text, key, open, close + 1, 'json');
  }
  return out;
}

/** `key: value` (YAML) and `key = value` (TOML) lines, with a bare or quoted key. */
function lineValues(text: string, dialect: 'yaml' | 'toml'): StringValue[] {
  const out: StringValue[] = [];
  const re =
    dialect === 'yaml'
      ? /^[ \t]*(?:-[ \t]+)?(["']?)([A-Za-z_][\w.-]*)\1[ \t]*:[ \t]+/gm
      : /^[ \t]*(["']?)([A-Za-z_][\w.-]*)\1[ \t]*=[ \t]*/gm;
  for (const m of text.matchAll(re)) {
    const at = m.index + m[0].length;
    const first = text[at];
    if (first === '"' || first === "'") {
      if (text.startsWith(first.repeat(3), at)) continue; // multi-line strings are not DSNs
      const q: Quoting =
        dialect === 'yaml'
          ? first === '"'
            ? 'yaml-double'
            : 'yaml-single'
          : first === '"'
            ? 'toml-basic'
            : 'toml-literal';
      const close = closing(text, at, q);
      if (close > 0) push(out, text, m[2]!, at, close + 1, q);
    } else if (dialect === 'yaml') {
      const eol = text.slice(at).search(/\r?\n|$/);
      const body = text
        .slice(at, at + eol)
        .replace(/\s+#.*$/, '')
        .replace(/\s+$/, '');
      if (body && !/^[|>&*!{[]/.test(body)) push(out, text, m[2]!, at, at + body.length, 'yaml-plain');
    }
  }
  return out;
}

/** Every keyed string value in a file of `dialect`, in file order. */
export function stringValues(text: string, dialect: Dialect): StringValue[] {
  return (dialect === 'json' ? jsonValues(text) : lineValues(text, dialect)).sort((a, b) => a.start - b.start);
}
