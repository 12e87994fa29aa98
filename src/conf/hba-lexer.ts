/**
 * The lexical layer shared by pg_hba.conf and pg_ident.conf, as PostgreSQL's hba.c reads them:
 * lines end at `\n` (trailing `\r` and `\n` are stripped), a backslash as the very last
 * character joins the next line, blanks are space, tab and `\r`, `#` outside quotes ends the
 * line, fields are separated by blanks and a field is a comma list of tokens.
 */

/** One logical line: a physical line, or several joined by backslash continuation. */
export interface LogicalLine {
  /** 1-based number of the first physical line. */
  line: number;
  /** Exact text of all its physical lines, with their terminators. */
  raw: string;
  /** The content PostgreSQL tokenizes: terminators stripped, continuations joined. */
  text: string;
}

/** One token of a field: `quoted` when it began with a double quote (then it is never a keyword). */
export interface LexToken {
  value: string;
  quoted: boolean;
  /** 0-based offset of the token in the logical line's text. */
  offset: number;
}

function stripCrlf(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 10 || s.charCodeAt(end - 1) === 13)) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Splits a file into logical lines; concatenating their `raw` gives the text back exactly. */
export function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  forEachLogicalLine(text, (line, raw, content) => out.push({ line, raw, text: content }));
  return out;
}

/** Calls `fn` for each logical line without building a list (the parsers' hot path). */
export function forEachLogicalLine(text: string, fn: (line: number, raw: string, content: string) => void): void {
  let pos = 0;
  let lineNo = 1;
  while (pos < text.length) {
    const first = lineNo;
    const start = pos;
    let content = '';
    for (;;) {
      const nl = text.indexOf('\n', pos);
      const end = nl < 0 ? text.length : nl + 1;
      const body = stripCrlf(text.slice(pos, end));
      pos = end;
      lineNo++;
      if (body.endsWith('\\')) {
        content += body.slice(0, -1);
        if (pos < text.length) continue;
      } else {
        content += body;
      }
      break;
    }
    fn(first, text.slice(start, pos), content);
  }
}

const isBlank = (c: number) => c === 32 || c === 9 || c === 13;
const QUOTE = 34;
const COMMA = 44;
const HASH = 35;

/**
 * Splits a logical line into fields of tokens. Leading blanks and commas before a token are
 * skipped; an unquoted comma ends a token and continues the field; `""` inside quotes is a
 * literal quote; quotes are removed; an unquoted `#` ends the line.
 */
export function lexFields(text: string): LexToken[][] {
  const fields: LexToken[][] = [];
  let p = 0;
  const n = text.length;
  while (p < n) {
    const field: LexToken[] = [];
    let trailingComma: boolean;
    do {
      trailingComma = false;
      // Skip blanks and commas before the token.
      while (p < n && (isBlank(text.charCodeAt(p)) || text.charCodeAt(p) === COMMA)) p++;
      const offset = p;
      let value = '';
      let inQuote = false;
      let wasQuote = false;
      let sawQuote = false;
      let initialQuote = false;
      let segment = p;
      while (p < n) {
        const c = text.charCodeAt(p);
        if (isBlank(c) && !inQuote) break;
        if (c === HASH && !inQuote) {
          value += text.slice(segment, p);
          segment = p = n;
          break;
        }
        if (c === COMMA && !inQuote) {
          value += text.slice(segment, p);
          segment = ++p;
          trailingComma = true;
          break;
        }
        if (c === QUOTE) {
          value += text.slice(segment, p);
          if (wasQuote) value += '"';
          segment = p + 1;
          wasQuote = inQuote ? !wasQuote : false;
          inQuote = !inQuote;
          sawQuote = true;
          if (value === '') initialQuote = true;
        } else {
          wasQuote = false;
        }
        p++;
      }
      if (segment < p) value += text.slice(segment, p);
      if (!sawQuote && value === '') break;
      field.push({ value, quoted: initialQuote, offset });
    } while (trailingComma);
    if (field.length > 0) fields.push(field);
  }
  return fields;
}
