/**
 * Tokenizer for PostgreSQL's regular expressions (Spencer's ARE/ERE/BRE dialects), as used for
 * `/regex` names in pg_hba.conf and pg_ident.conf. It follows the server's lexical contexts so
 * that a pattern is rejected at the same point and with the same message as by the server.
 */

/** PostgreSQL's regerror() texts. */
export const REG = {
  BADPAT: 'invalid regexp (reg version 0.8)',
  ECOLLATE: 'invalid collating element',
  ECTYPE: 'invalid character class',
  EESCAPE: 'invalid escape \\ sequence',
  ESUBREG: 'invalid backreference number',
  EBRACK: 'brackets [] not balanced',
  EPAREN: 'parentheses () not balanced',
  EBRACE: 'braces {} not balanced',
  BADBR: 'invalid repetition count(s)',
  ERANGE: 'invalid character range',
  BADRPT: 'quantifier operand invalid',
  BADOPT: 'invalid embedded option',
} as const;

/** Thrown at the first error, carrying the server's message. */
export class RegexSyntaxError extends Error {}

export type Tok =
  | 'EOS'
  | 'EMPTY'
  | 'PLAIN'
  | 'DIGIT'
  | 'RANGE'
  | 'BACKREF'
  | 'CCLASSS'
  | 'CCLASSC'
  | 'LACON'
  | 'COLLEL'
  | 'ECLASS'
  | 'CCLASS'
  | 'END'
  | 'SBEGIN'
  | 'SEND'
  | 'WBDRY'
  | 'NWBDRY'
  | '|'
  | '*'
  | '+'
  | '?'
  | '{'
  | '}'
  | ','
  | '('
  | ')'
  | '['
  | ']'
  | '.'
  | '^'
  | '$'
  | '<'
  | '>';

type Con = 'ERE' | 'BRE' | 'Q' | 'EBND' | 'BBND' | 'BRACK' | 'CEL' | 'ECL' | 'CCL';

/** Compile flags in effect (after the `***` director and embedded options). */
export interface AreFlags {
  extended: boolean; // ERE or ARE
  advanced: boolean; // ARE extensions on top of ERE
  quote: boolean;
  expanded: boolean;
  icase: boolean;
  nlstop: boolean; // `.` and `[^` do not match newline
  nlanch: boolean; // `^` and `$` match at newlines
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
// iscspace() in the C locale the server uses for these names.
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const ch = (s: string) => s.charCodeAt(0);
/** Character-class escapes: letter → class name. */
const CLASS_ESC: Record<string, string> = { d: 'digit', s: 'space', w: 'word' };
const PLAIN_ESC: Record<string, number> = { a: 7, b: 8, B: 92, e: 27, f: 12, n: 10, r: 13, t: 9, v: 11 };
const OPTION_LETTERS = 'bceimnpqstwx';

export class AreLexer {
  readonly s: number[];
  now = 0;
  con: Con = 'ERE';
  type: Tok = 'EMPTY';
  value: number | string = 0;
  last: Tok = 'EMPTY';
  /** Capturing groups opened so far (the backreference heuristic looks at it). */
  nsubexp = 0;
  readonly flags: AreFlags = {
    extended: true,
    advanced: true,
    quote: false,
    expanded: false,
    icase: false,
    nlstop: false,
    nlanch: false,
  };

  constructor(pattern: string) {
    this.s = Array.from(pattern, (c) => c.codePointAt(0)!);
    this.prefixes();
    const f = this.flags;
    this.con = f.quote ? 'Q' : f.extended ? 'ERE' : 'BRE';
    this.type = 'EMPTY';
    this.next();
  }

  fail(msg: string): never {
    throw new RegexSyntaxError(msg);
  }

  private at(k = 0): number | undefined {
    return this.s[this.now + k];
  }
  private has(n: number): boolean {
    return this.s.length - this.now >= n;
  }
  private next1(c: string): boolean {
    return this.at() === ch(c);
  }

  private prefixes(): void {
    const f = this.flags;
    if (this.has(4) && this.at() === 42 && this.at(1) === 42 && this.at(2) === 42) {
      const d = this.at(3);
      if (d === ch('?')) this.fail(REG.BADPAT);
      if (d === ch('=')) {
        Object.assign(f, {
          quote: true,
          extended: false,
          advanced: false,
          expanded: false,
          nlstop: false,
          nlanch: false,
        });
        this.now += 4;
        return;
      }
      if (d !== ch(':')) this.fail(REG.BADRPT);
      this.now += 4;
    }
    if (!f.advanced) return;
    if (!(this.has(3) && this.at() === ch('(') && this.at(1) === ch('?') && isAlpha(this.at(2)!))) return;
    this.now += 2;
    for (let c = this.at(); c !== undefined && isAlpha(c); c = this.at()) {
      const o = String.fromCharCode(c);
      if (!OPTION_LETTERS.includes(o)) this.fail(REG.BADOPT);
      if (o === 'b') Object.assign(f, { extended: false, advanced: false, quote: false });
      else if (o === 'c') f.icase = false;
      else if (o === 'e') Object.assign(f, { extended: true, advanced: false, quote: false });
      else if (o === 'i') f.icase = true;
      else if (o === 'm' || o === 'n') Object.assign(f, { nlstop: true, nlanch: true });
      else if (o === 'p') Object.assign(f, { nlstop: true, nlanch: false });
      else if (o === 'q') Object.assign(f, { quote: true, advanced: false, extended: false });
      else if (o === 's') Object.assign(f, { nlstop: false, nlanch: false });
      else if (o === 't') f.expanded = false;
      else if (o === 'w') Object.assign(f, { nlstop: false, nlanch: true });
      else f.expanded = true;
      this.now++;
    }
    if (!this.next1(')')) this.fail(REG.BADOPT);
    this.now++;
    if (f.quote) Object.assign(f, { expanded: false, nlstop: false, nlanch: false });
  }

  private set(t: Tok, v: number | string = 0): void {
    this.type = t;
    this.value = v;
  }

  private skip(): void {
    for (;;) {
      while (this.at() !== undefined && isSpace(this.at()!)) this.now++;
      if (this.at() !== ch('#')) return;
      while (this.at() !== undefined && this.at() !== 10) this.now++;
    }
  }

  /** Advances to the next token. */
  next(): void {
    this.last = this.type;
    const f = this.flags;
    if (f.expanded && (this.con === 'ERE' || this.con === 'BRE' || this.con === 'EBND' || this.con === 'BBND'))
      this.skip();
    if (this.now >= this.s.length) {
      if (this.con === 'EBND' || this.con === 'BBND') this.fail(REG.EBRACE);
      if (this.con === 'BRACK' || this.con === 'CEL' || this.con === 'ECL' || this.con === 'CCL') this.fail(REG.EBRACK);
      return this.set('EOS');
    }
    const c = this.s[this.now++]!;
    switch (this.con) {
      case 'BRE':
        return this.breNext(c);
      case 'Q':
        return this.set('PLAIN', c);
      case 'EBND':
      case 'BBND':
        return this.boundNext(c);
      case 'BRACK':
        return this.bracketNext(c);
      case 'CEL':
      case 'ECL':
      case 'CCL': {
        const end = this.con === 'CEL' ? '.' : this.con === 'ECL' ? '=' : ':';
        if (c === ch(end) && this.next1(']')) {
          this.now++;
          this.con = 'BRACK';
          return this.set('END', end);
        }
        return this.set('PLAIN', c);
      }
      default:
        return this.ereNext(c);
    }
  }

  private boundNext(c: number): void {
    if (isDigit(c)) return this.set('DIGIT', c - 48);
    if (c === ch(',')) return this.set(',');
    if (c === ch('}') && this.con === 'EBND') {
      this.con = 'ERE';
      if (this.flags.advanced && this.next1('?')) {
        this.now++;
        return this.set('}', 0);
      }
      return this.set('}', 1);
    }
    if (c === 92 && this.con === 'BBND' && this.next1('}')) {
      this.now++;
      this.con = 'BRE';
      return this.set('}', 1);
    }
    this.fail(REG.BADBR);
  }

  private bracketNext(c: number): void {
    if (c === ch(']')) {
      if (this.last === '[') return this.set('PLAIN', c);
      this.con = this.flags.extended ? 'ERE' : 'BRE';
      return this.set(']');
    }
    if (c === 92 && this.flags.advanced) {
      if (this.now >= this.s.length) this.fail(REG.EESCAPE);
      this.escape();
      if (this.type === 'PLAIN' || this.type === 'CCLASSS' || this.type === 'CCLASSC') return;
      this.fail(REG.EESCAPE);
    }
    if (c === ch('-')) return this.set(this.last === '[' || this.next1(']') ? 'PLAIN' : 'RANGE', c);
    if (c === ch('[')) {
      if (this.now >= this.s.length) this.fail(REG.EBRACK);
      const d = this.s[this.now++]!;
      if (d === ch('.')) {
        this.con = 'CEL';
        return this.set('COLLEL');
      }
      if (d === ch('=')) {
        this.con = 'ECL';
        return this.set('ECLASS');
      }
      if (d === ch(':')) {
        this.con = 'CCL';
        return this.set('CCLASS');
      }
      this.now--;
    }
    return this.set('PLAIN', c);
  }

  /** `[[:<:]]` and `[[:>:]]`, word start and end in every dialect. */
  private wordEdge(): boolean {
    const s = this.s;
    const i = this.now;
    if (
      !this.has(6) ||
      s[i] !== ch('[') ||
      s[i + 1] !== ch(':') ||
      s[i + 3] !== ch(':') ||
      s[i + 4] !== ch(']') ||
      s[i + 5] !== ch(']')
    )
      return false;
    const e = s[i + 2];
    if (e !== ch('<') && e !== ch('>')) return false;
    this.now += 6;
    this.set(e === ch('<') ? '<' : '>');
    return true;
  }

  private openBracket(): void {
    if (this.wordEdge()) return;
    this.con = 'BRACK';
    if (this.next1('^')) {
      this.now++;
      return this.set('[', 0);
    }
    this.set('[', 1);
  }

  private lazy(t: Tok): void {
    if (this.flags.advanced && this.next1('?')) {
      this.now++;
      return this.set(t, 0);
    }
    this.set(t, 1);
  }

  private ereNext(c: number): void {
    const f = this.flags;
    switch (String.fromCodePoint(c)) {
      case '|':
        return this.set('|');
      case '*':
      case '+':
      case '?':
        return this.lazy(String.fromCodePoint(c) as Tok);
      case '{':
        if (f.expanded) this.skip();
        if (this.at() === undefined || !isDigit(this.at()!)) return this.set('PLAIN', c);
        this.con = 'EBND';
        return this.set('{');
      case '(':
        if (f.advanced && this.next1('?')) return this.parenExtension();
        return this.set('(', 1);
      case ')':
        return this.set(')', c);
      case '[':
        return this.openBracket();
      case '.':
        return this.set('.');
      case '^':
        return this.set('^');
      case '$':
        return this.set('$');
      case '\\':
        if (this.now >= this.s.length) this.fail(REG.EESCAPE);
        if (!f.advanced) return this.set('PLAIN', this.s[this.now++]!);
        return this.escape();
      default:
        return this.set('PLAIN', c);
    }
  }

  private parenExtension(): void {
    this.now++;
    if (this.now >= this.s.length) this.fail(REG.BADRPT);
    const d = String.fromCodePoint(this.s[this.now++]!);
    if (d === ':') return this.set('(', 0);
    if (d === '#') {
      while (this.at() !== undefined && this.at() !== ch(')')) this.now++;
      if (this.at() !== undefined) this.now++;
      this.type = this.last;
      return this.next();
    }
    if (d === '=' || d === '!') return this.set('LACON', d === '=' ? 'ahead' : 'ahead-not');
    if (d === '<') {
      if (this.now >= this.s.length) this.fail(REG.BADRPT);
      const e = String.fromCodePoint(this.s[this.now++]!);
      if (e === '=' || e === '!') return this.set('LACON', e === '=' ? 'behind' : 'behind-not');
    }
    this.fail(REG.BADRPT);
  }

  private digits(base: number, min: number, max: number): number {
    let n = 0;
    let len = 0;
    for (; len < max && this.now < this.s.length; len++) {
      const c = this.s[this.now]!;
      const d = isDigit(c) ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
      if (d < 0 || d >= base) break;
      this.now++;
      n = n * base + d;
    }
    if (len < min) this.fail(REG.EESCAPE);
    return n;
  }

  /** An ARE backslash escape; the backslash is already consumed. */
  private escape(): void {
    const c = this.s[this.now++]!;
    if (!isAlpha(c) && !isDigit(c)) return this.set('PLAIN', c);
    const l = String.fromCharCode(c);
    if (l in PLAIN_ESC) return this.set('PLAIN', PLAIN_ESC[l]!);
    const lower = l.toLowerCase();
    if (lower in CLASS_ESC) return this.set(l === lower ? 'CCLASSS' : 'CCLASSC', CLASS_ESC[lower]!);
    const simple: Record<string, Tok> = { A: 'SBEGIN', Z: 'SEND', m: '<', M: '>', y: 'WBDRY', Y: 'NWBDRY' };
    if (l in simple) return this.set(simple[l]!);
    if (l === 'c') {
      if (this.now >= this.s.length) this.fail(REG.EESCAPE);
      return this.set('PLAIN', this.s[this.now++]! & 31);
    }
    // Values above CHR_MAX are rejected; the arithmetic stays exact well past it.
    const inRange = (v: number) => (v <= 0x7ffffffe ? v : this.fail(REG.EESCAPE));
    if (l === 'u') return this.set('PLAIN', inRange(this.digits(16, 4, 4)));
    if (l === 'U') return this.set('PLAIN', inRange(this.digits(16, 8, 8)));
    if (l === 'x') return this.set('PLAIN', inRange(this.digits(16, 1, 255)));
    if (isDigit(c)) {
      this.now--;
      if (c !== 48) {
        const save = this.now + 1;
        const v = this.digits(10, 1, 255);
        if (this.now === save || (v > 0 && v <= this.nsubexp)) return this.set('BACKREF', v);
        this.now = save - 1;
      }
      let v = this.digits(8, 1, 3);
      if (v > 0xff) {
        this.now--;
        v >>= 3;
      }
      return this.set('PLAIN', v);
    }
    this.fail(REG.EESCAPE);
  }

  private breNext(c: number): void {
    const l = String.fromCodePoint(c);
    if (l === '*')
      return this.last === 'EMPTY' || this.last === '(' || this.last === '^' ? this.set('PLAIN', c) : this.set('*', 1);
    if (l === '[') return this.openBracket();
    if (l === '.') return this.set('.');
    if (l === '^') return this.last === 'EMPTY' || this.last === '(' ? this.set('^') : this.set('PLAIN', c);
    if (l === '$') {
      if (this.flags.expanded) this.skip();
      if (this.now >= this.s.length || (this.at() === 92 && this.at(1) === ch(')'))) return this.set('$');
      return this.set('PLAIN', c);
    }
    if (l !== '\\') return this.set('PLAIN', c);
    if (this.now >= this.s.length) this.fail(REG.EESCAPE);
    const d = this.s[this.now++]!;
    const e = String.fromCodePoint(d);
    if (e === '{') {
      this.con = 'BBND';
      return this.set('{');
    }
    if (e === '(') return this.set('(', 1);
    if (e === ')') return this.set(')', d);
    if (e === '<' || e === '>') return this.set(e);
    if (d >= 49 && d <= 57) return this.set('BACKREF', d - 48);
    return this.set('PLAIN', d);
  }
}
