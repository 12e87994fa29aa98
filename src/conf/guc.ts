/**
 * The lossless postgresql.conf / postgresql.auto.conf parser, reading lines exactly as
 * PostgreSQL's configuration lexer does: `name [=] value` with an identifier (or one
 * `ext.name`) for the name and a quoted string, unquoted string, integer (with unit letters)
 * or real for the value; `#` comments; `include`, `include_if_exists`, `include_dir`.
 */

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
  | { kind: 'include'; line: number; raw: string; directive: 'include' | 'include_if_exists' | 'include_dir'; path: string }
  /** PostgreSQL's syntax error: `near` is the offending token, or null for "near end of line". */
  | { kind: 'error'; line: number; raw: string; error: string; near: string | null; column: number };

type TokenKind = 'id' | 'qualified_id' | 'string' | 'unquoted' | 'integer' | 'real' | 'equals' | 'error';
interface Token {
  kind: TokenKind;
  text: string;
  start: number;
}

const LETTER = /[A-Za-z_\u0080-\uffff]/;
// Each pattern is anchored at the token start with the sticky flag; longest match wins, ties go to the earlier kind.
const PATTERNS: [TokenKind, RegExp][] = [
  ['id', /[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/y],
  ['qualified_id', /[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*\.[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/y],
  ['string', /'(?:[^'\\\n]|\\.|'')*'/y],
  ['unquoted', /[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff\-.:/]*/y],
  ['integer', /[-+]?(?:0x[0-9a-fA-F]+|[0-9]+)[A-Za-z]*/y],
  ['real', /[-+]?[0-9]*\.[0-9]*(?:[Ee][-+]?[0-9]+)?/y],
  ['equals', /=/y],
];

/** Splits one physical line (without its terminator) into tokens; comments and blanks dropped. */
function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let p = 0;
  while (p < text.length) {
    const c = text[p]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      p++;
      continue;
    }
    if (c === '#') break;
    let best: Token | undefined;
    for (const [kind, re] of PATTERNS) {
      if (kind !== 'integer' && kind !== 'real' && kind !== 'string' && kind !== 'equals' && !LETTER.test(c)) continue;
      re.lastIndex = p;
      const m = re.exec(text);
      if (m && m[0].length > 0 && (!best || m[0].length > best.text.length)) best = { kind, text: m[0], start: p };
    }
    best ??= { kind: 'error', text: c, start: p };
    tokens.push(best);
    p += best.text.length;
  }
  return tokens;
}

/** Decodes a quoted value as PostgreSQL does: `''` and `\'` are quotes, \b \f \n \r \t, octal \ooo. */
export function unquote(token: string): string {
  const s = token.slice(1, -1);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[++i];
      if (n === undefined) break;
      const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (n in simple) out += simple[n];
      else if (n >= '0' && n <= '7') {
        let k = 0;
        let v = 0;
        while (k < 3 && s[i + k]! >= '0' && s[i + k]! <= '7') v = v * 8 + Number(s[i + k++]);
        i += k - 1;
        out += String.fromCharCode(v & 0xff);
      } else out += n;
    } else if (c === "'" && s[i + 1] === "'") {
      out += "'";
      i++;
    } else out += c;
  }
  return out;
}

const VALUE_KINDS = new Set<TokenKind>(['id', 'string', 'integer', 'real', 'unquoted']);
const DIRECTIVES = new Set(['include', 'include_if_exists', 'include_dir']);

/** Parses postgresql.conf text (pure). `file` is the absolute path, used in error messages. */
export function parseConf(text: string, opts: { file: string }): ConfLine[] {
  const lines: ConfLine[] = [];
  let pos = 0;
  let lineNo = 1;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    const raw = text.slice(pos, end);
    const body = nl < 0 ? raw : raw.slice(0, -1);
    pos = end;
    const line = lineNo++;
    const tokens = lex(body);
    if (tokens.length === 0) {
      lines.push({ kind: body.includes('#') ? 'comment' : 'blank', line, raw });
      continue;
    }
    const fail = (t: Token | undefined): ConfLine =>
      t
        ? { kind: 'error', line, raw, near: t.text, column: t.start + 1, error: `syntax error in file "${opts.file}" line ${line}, near token "${t.text}"` }
        : {
            // At end of file without a newline PostgreSQL's line counter has not advanced: it names the line before.
            kind: 'error', line: nl < 0 ? line - 1 : line, raw, near: null, column: body.length + 1,
            error: `syntax error in file "${opts.file}" line ${nl < 0 ? line - 1 : line}, near end of line`,
          };
    const [name, second] = tokens;
    if (name!.kind !== 'id' && name!.kind !== 'qualified_id') {
      lines.push(fail(name));
      continue;
    }
    const valueAt = second?.kind === 'equals' ? 2 : 1;
    const value = tokens[valueAt];
    if (!value || !VALUE_KINDS.has(value.kind)) {
      lines.push(fail(value));
      continue;
    }
    if (tokens.length > valueAt + 1) {
      lines.push(fail(tokens[valueAt + 1]));
      continue;
    }
    const decoded = value.kind === 'string' ? unquote(value.text) : value.text;
    const directive = name!.text.toLowerCase();
    if (DIRECTIVES.has(directive)) {
      lines.push({ kind: 'include', line, raw, directive: directive as 'include', path: decoded });
    } else {
      lines.push({ kind: 'setting', line, raw, name: name!.text, value: decoded, valueStart: value.start, valueEnd: value.start + value.text.length });
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
