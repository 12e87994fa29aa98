/**
 * The tokens of one postgresql.conf line, as PostgreSQL's configuration scanner (guc-file.l)
 * finds them: the longest match wins and, on a tie, the kind listed first below. A hand-written
 * scanner over character codes: no regular expression, no backtracking.
 */

/** Token kinds, in the scanner's order of preference on equal length. */
export type GucTokenKind = 'id' | 'qualified_id' | 'string' | 'unquoted' | 'integer' | 'real' | 'equals' | 'error';

/** One token: its kind, its text as written and its offset in the line. */
export interface GucToken {
  kind: GucTokenKind;
  text: string;
  start: number;
}

const TAB = 9;
const CR = 13;
const SPACE = 32;
const HASH = 35;
const QUOTE = 39;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const SLASH = 47;
const COLON = 58;
const EQUALS = 61;
const BACKSLASH = 92;
const LF = 10;

/** Letters of names: ASCII letters, `_` and every byte above 127 (any non-ASCII character here). */
function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** End of a run of characters satisfying `test`, from `p`. */
function run(text: string, p: number, test: (c: number) => boolean): number {
  while (p < text.length && test(text.charCodeAt(p))) p++;
  return p;
}

const isLetterOrDigit = (c: number): boolean => isLetter(c) || isDigit(c);
const isUnquotedChar = (c: number): boolean =>
  isLetterOrDigit(c) || c === MINUS || c === DOT || c === COLON || c === SLASH;

/** A word starting with a letter: identifier, `a.b` qualified identifier or unquoted string. */
function word(text: string, p: number): { kind: GucTokenKind; end: number } {
  const idEnd = run(text, p + 1, isLetterOrDigit);
  const unquotedEnd = run(text, idEnd, isUnquotedChar);
  let qualifiedEnd = -1;
  if (text.charCodeAt(idEnd) === DOT && isLetter(text.charCodeAt(idEnd + 1)))
    qualifiedEnd = run(text, idEnd + 2, isLetterOrDigit);
  if (unquotedEnd === idEnd) return { kind: 'id', end: idEnd };
  if (unquotedEnd === qualifiedEnd) return { kind: 'qualified_id', end: qualifiedEnd };
  return { kind: 'unquoted', end: unquotedEnd };
}

/** A quoted string `'…'` (`''` and backslash escapes inside); -1 when it does not close on this line. */
function quoted(text: string, p: number): number {
  let i = p + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      // A backslash escapes any character but the end of the line.
      if (i + 1 >= text.length || text.charCodeAt(i + 1) === LF) return -1;
      i += 2;
    } else if (c === QUOTE) {
      if (text.charCodeAt(i + 1) !== QUOTE) return i + 1;
      i += 2;
    } else if (c === LF) return -1;
    else i++;
  }
  return -1;
}

/** The longer of an integer (digits or lower-case 0x hex, then unit letters) and a real at `p`. */
function numeric(text: string, p: number): { kind: GucTokenKind; end: number } | undefined {
  let i = p;
  const first = text.charCodeAt(i);
  if (first === PLUS || first === MINUS) i++;
  let integerEnd = -1;
  const digitsEnd = run(text, i, isDigit);
  if (digitsEnd > i) integerEnd = run(text, digitsEnd, isAsciiLetter);
  if (text.charCodeAt(i) === 48 && text.charCodeAt(i + 1) === 120 && isHexDigit(text.charCodeAt(i + 2))) {
    integerEnd = Math.max(integerEnd, run(text, run(text, i + 2, isHexDigit), isAsciiLetter));
  }
  let realEnd = -1;
  if (text.charCodeAt(digitsEnd) === DOT) {
    realEnd = run(text, digitsEnd + 1, isDigit);
    const e = text.charCodeAt(realEnd);
    if (e === 69 || e === 101) {
      let x = realEnd + 1;
      const s = text.charCodeAt(x);
      if (s === PLUS || s === MINUS) x++;
      const expEnd = run(text, x, isDigit);
      if (expEnd > x) realEnd = expEnd;
    }
  }
  if (integerEnd < 0 && realEnd < 0) return undefined;
  return realEnd > integerEnd ? { kind: 'real', end: realEnd } : { kind: 'integer', end: integerEnd };
}

/**
 * The next token of `text` at or after `p`, skipping blanks; undefined at the end of the line
 * (a `\n` or the end of `text`) or at a `#` comment. No token spans a `\n`.
 */
export function nextToken(text: string, p: number): GucToken | undefined {
  let c = text.charCodeAt(p);
  while (c === SPACE || c === TAB || c === CR) c = text.charCodeAt(++p);
  if (p >= text.length || c === HASH || c === LF) return undefined;
  let kind: GucTokenKind = 'error';
  let end = p + 1;
  if (isLetter(c)) ({ kind, end } = word(text, p));
  else if (c === QUOTE) {
    const q = quoted(text, p);
    if (q > 0) {
      kind = 'string';
      end = q;
    }
  } else if (c === EQUALS) kind = 'equals';
  else {
    const n = numeric(text, p);
    if (n) ({ kind, end } = n);
  }
  return { kind, text: text.slice(p, end), start: p };
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * A quoted value as the server reads it: quotes stripped, `''` for a quote, `\b \f \n \r \t`,
 * octal `\ooo` (one to three digits, one byte) and a backslash before any other character
 * standing for that character. The server keeps the value as a C string, so a zero byte ends it.
 */
export function unquote(token: string): string {
  const inner = token.slice(1, -1);
  if (inner.indexOf('\\') < 0 && inner.indexOf("''") < 0) return inner;
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charCodeAt(i);
    if (c === BACKSLASH) {
      parts.push(inner.slice(from, i));
      const n = inner[++i];
      if (n === undefined) break;
      if (n >= '0' && n <= '7') {
        let v = 0;
        let k = 0;
        for (; k < 3 && inner[i + k]! >= '0' && inner[i + k]! <= '7'; k++) v = v * 8 + inner.charCodeAt(i + k) - 48;
        i += k - 1;
        if ((v & 0xff) === 0) return parts.join('');
        parts.push(String.fromCharCode(v & 0xff));
      } else parts.push(SIMPLE_ESCAPES[n] ?? n);
      from = i + 1;
    } else if (c === QUOTE && inner.charCodeAt(i + 1) === QUOTE) {
      parts.push(inner.slice(from, i + 1));
      i++;
      from = i + 1;
    }
  }
  parts.push(inner.slice(from));
  return parts.join('');
}
