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

/** Splits a file into logical lines; concatenating their `raw` gives the text back exactly. */
export function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  forEachLogicalLine(text, (line, raw, content) => out.push({ line, raw, text: content }));
  return out;
}

const BACKSLASH = 92;

/** Calls `fn` for each logical line without building a list (the parsers' hot path). */
export function forEachLogicalLine(text: string, fn: (line: number, raw: string, content: string) => void): void {
  const n = text.length;
  let pos = 0;
  let lineNo = 1;
  while (pos < n) {
    const first = lineNo;
    const start = pos;
    // Most lines are one physical line: their content is one slice of the text.
    let content: string | undefined;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      const end = nl < 0 ? n : nl + 1;
      let bodyEnd = end;
      while (bodyEnd > pos && (text.charCodeAt(bodyEnd - 1) === 10 || text.charCodeAt(bodyEnd - 1) === 13)) bodyEnd--;
      const joined = bodyEnd > pos && text.charCodeAt(bodyEnd - 1) === BACKSLASH;
      const body = text.slice(pos, joined ? bodyEnd - 1 : bodyEnd);
      content = content === undefined ? body : content + body;
      pos = end;
      lineNo++;
      if (!joined || pos >= n) break;
    }
    fn(first, text.slice(start, pos), content);
  }
}

const isBlank = (c: number) => c === 32 || c === 9 || c === 13;
const QUOTE = 34;
const COMMA = 44;
const HASH = 35;

// The characters that end or change a token (blank, comma, `#`, quote); the others are copied as they are.
const SPECIAL = new Uint8Array(128);
for (const c of [32, 9, 13, COMMA, HASH, QUOTE]) SPECIAL[c] = 1;

/** A token with a quote in it, read from `offset` (`p`: where the first quote is). */
function quotedToken(
  text: string,
  offset: number,
  p: number,
): { value: string; quoted: boolean; end: number; trailingComma: boolean } {
  const n = text.length;
  let value = '';
  let inQuote = false;
  let wasQuote = false;
  let initialQuote = false;
  let trailingComma = false;
  let segment = offset;
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
      if (value === '') initialQuote = true;
    } else {
      wasQuote = false;
    }
    p++;
  }
  if (segment < p) value += text.slice(segment, p);
  return { value, quoted: initialQuote, end: p, trailingComma };
}

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
    // Most fields hold one token: an array literal of one is a quarter of the size of a pushed-to one.
    let first: LexToken | undefined;
    let more: LexToken[] | undefined;
    let trailingComma: boolean;
    do {
      trailingComma = false;
      // Skip blanks and commas before the token.
      while (p < n && (isBlank(text.charCodeAt(p)) || text.charCodeAt(p) === COMMA)) p++;
      const offset = p;
      // The usual token: no quote, so it is the text up to a blank, comma, `#` or the end.
      let c = 0;
      for (; p < n; p++) {
        c = text.charCodeAt(p);
        if (c < 128 && SPECIAL[c] === 1) break;
      }
      let token: LexToken;
      if (p < n && c === QUOTE) {
        const q = quotedToken(text, offset, p);
        p = q.end;
        trailingComma = q.trailingComma;
        token = { value: q.value, quoted: q.quoted, offset };
      } else {
        if (p === offset) {
          // Nothing before a `#` or the end: the line (or the field) is over.
          if (p < n && c === HASH) p = n;
          break;
        }
        token = { value: text.slice(offset, p), quoted: false, offset };
        if (p < n && c === HASH) p = n;
        else if (p < n && c === COMMA) {
          p++;
          trailingComma = true;
        }
      }
      if (first === undefined) first = token;
      else if (more === undefined) more = [first, token];
      else more.push(token);
    } while (trailingComma);
    if (more) fields.push(more.slice());
    else if (first) fields.push([first]);
  }
  return fields;
}
