/**
 * The lossless postgresql.conf / postgresql.auto.conf parser, reading lines exactly as
 * PostgreSQL's configuration lexer does: `name [=] value` with an identifier (or one
 * `ext.name`) for the name and a quoted string, unquoted string, integer (with unit letters)
 * or real for the value; `#` comments; `include`, `include_if_exists`, `include_dir`.
 */
import { nextToken, unquote, type GucToken, type GucTokenKind } from './guc-lexer.js';

export { unquote };

/** A `name = value` line. `value` is what the server reads (quotes removed, escapes decoded). */
export interface SettingLine {
  kind: 'setting';
  line: number;
  raw: string;
  name: string;
  value: string;
  /** Offsets of the value's text in `raw`, to replace it without touching the rest of the line. */
  valueStart: number;
  valueEnd: number;
}

export type ConfLine =
  | { kind: 'comment'; line: number; raw: string }
  | { kind: 'blank'; line: number; raw: string }
  | SettingLine
  | {
      kind: 'include';
      line: number;
      raw: string;
      directive: 'include' | 'include_if_exists' | 'include_dir';
      path: string;
    }
  /** PostgreSQL's syntax error: `near` is the offending token, or null for "near end of line". */
  | { kind: 'error'; line: number; raw: string; error: string; near: string | null; column: number };

const VALUE_KINDS = new Set<GucTokenKind>(['id', 'string', 'integer', 'real', 'unquoted']);
const DIRECTIVES = new Set(['include', 'include_if_exists', 'include_dir']);

/** The error line for a syntax error at token `t` (undefined: at the end of the line). */
function syntaxError(
  file: string,
  line: number,
  raw: string,
  lineStart: number,
  t: GucToken | undefined,
  atEof: boolean,
): ConfLine {
  if (t) {
    const error = `syntax error in file "${file}" line ${line}, near token "${t.text}"`;
    return { kind: 'error', line, raw, near: t.text, column: t.start - lineStart + 1, error };
  }
  // At the end of a file without a final newline the server's line counter has not advanced
  // past the previous line, and it names that one.
  const named = atEof ? line - 1 : line;
  const column = raw.length - (raw.endsWith('\n') ? 1 : 0) + 1;
  return {
    kind: 'error',
    line: named,
    raw,
    near: null,
    column,
    error: `syntax error in file "${file}" line ${named}, near end of line`,
  };
}

/** Parses postgresql.conf text (pure). `file` is the absolute path, used in error messages. */
export function parseConf(text: string, opts: { file: string }): ConfLine[] {
  const lines: ConfLine[] = [];
  let pos = 0;
  let line = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    const raw = text.slice(pos, end);
    const lineStart = pos;
    pos = end;
    line++;
    // Tokens never cross a newline, so the scanner runs over the whole text from the line's start.
    const name = nextToken(text, lineStart);
    if (!name) {
      lines.push({ kind: raw.includes('#') ? 'comment' : 'blank', line, raw });
      continue;
    }
    if (name.kind !== 'id' && name.kind !== 'qualified_id') {
      lines.push(syntaxError(opts.file, line, raw, lineStart, name, nl < 0));
      continue;
    }
    let value = nextToken(text, name.start + name.text.length);
    if (value?.kind === 'equals') value = nextToken(text, value.start + 1);
    if (!value || !VALUE_KINDS.has(value.kind)) {
      lines.push(syntaxError(opts.file, line, raw, lineStart, value, nl < 0));
      continue;
    }
    const extra = nextToken(text, value.start + value.text.length);
    if (extra) {
      lines.push(syntaxError(opts.file, line, raw, lineStart, extra, nl < 0));
      continue;
    }
    const decoded = value.kind === 'string' ? unquote(value.text) : value.text;
    const directive = name.text.toLowerCase();
    if (DIRECTIVES.has(directive)) {
      lines.push({ kind: 'include', line, raw, directive: directive as 'include', path: decoded });
    } else {
      const valueStart = value.start - lineStart;
      lines.push({
        kind: 'setting',
        line,
        raw,
        name: name.text,
        value: decoded,
        valueStart,
        valueEnd: valueStart + value.text.length,
      });
    }
  }
  return lines;
}

/** The file text back, byte for byte. */
export function renderConf(lines: readonly ConfLine[]): string {
  let out = '';
  for (const l of lines) out += l.raw;
  return out;
}

/** Quotes a value for postgresql.conf (single quotes, `''` for a quote, `\\` for a backslash). */
export function quoteValue(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** The same line with only its value replaced (quoted); comments, spacing and terminator kept. */
export function withValue(line: SettingLine, value: string): SettingLine {
  const raw = line.raw.slice(0, line.valueStart) + quoteValue(value) + line.raw.slice(line.valueEnd);
  return { ...line, raw, value, valueEnd: line.valueStart + quoteValue(value).length };
}
