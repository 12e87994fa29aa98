/**
 * PostgreSQL regular expressions (ARE by default, with the ERE/BRE/literal switches) checked
 * the way the server's compiler parses them, and translated into an equivalent JavaScript
 * RegExp for matching role and database names. Character classes are those of the C locale,
 * which the server uses for pg_hba.conf and pg_ident.conf patterns.
 */
import { AreLexer, REG, RegexSyntaxError, type Tok } from './are-lex.js';

export { RegexSyntaxError };

const WORD = '0-9A-Za-z_';
/** Class name → JavaScript class contents (C locale: ASCII only). */
const CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7f}',
  blank: ' \\t',
  cntrl: '\\u{0}-\\u{1f}\\u{7f}',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t-\\r ',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
  word: WORD,
};
const ASSERT = '"can\'t happen" -- you found a bug';
const DUPMAX = 255;
// Code points JavaScript cannot hold match nothing.
const lit = (c: number) => (c > 0x10ffff ? '[]' : `\\u{${c.toString(16)}}`);
const BOS = '(?<![\\s\\S])';
const EOS = '(?![\\s\\S])';

class Parser {
  private readonly closed = new Set<number>();
  constructor(private readonly v: AreLexer) {}

  private see(t: Tok): boolean {
    return this.v.type === t;
  }
  private eat(t: Tok): boolean {
    if (!this.see(t)) return false;
    this.v.next();
    return true;
  }

  parse(stopper: Tok, lacon: boolean): string {
    const branches: string[] = [];
    do {
      let branch = '';
      while (!this.see('|') && !this.see(stopper) && !this.see('EOS')) branch += this.qatom(lacon);
      branches.push(branch);
    } while (this.eat('|'));
    if (!this.see(stopper)) this.v.fail(REG.EPAREN);
    return branches.join('|');
  }

  private qatom(lacon: boolean): string {
    const v = this.v;
    const f = v.flags;
    const word = `[${WORD}]`;
    let atom: string;
    switch (v.type) {
      case '^':
      case '$':
      case 'SBEGIN':
      case 'SEND':
      case '<':
      case '>':
      case 'WBDRY':
      case 'NWBDRY': {
        const t = v.type;
        v.next();
        if (t === '^') return f.nlanch ? '(?<![^\\n])' : BOS;
        if (t === '$') return f.nlanch ? '(?![^\\n])' : EOS;
        if (t === 'SBEGIN') return BOS;
        if (t === 'SEND') return EOS;
        if (t === '<') return `(?<!${word})(?=${word})`;
        if (t === '>') return `(?<=${word})(?!${word})`;
        if (t === 'WBDRY') return `(?:(?<!${word})(?=${word})|(?<=${word})(?!${word}))`;
        return `(?:(?<=${word})(?=${word})|(?<!${word})(?!${word}))`;
      }
      case 'LACON': {
        const kind = v.value;
        v.next();
        const inner = this.parse(')', true);
        v.next();
        const open = kind === 'ahead' ? '(?=' : kind === 'ahead-not' ? '(?!' : kind === 'behind' ? '(?<=' : '(?<!';
        return `${open}${inner})`;
      }
      case '*':
      case '+':
      case '?':
      case '{':
        return v.fail(REG.BADRPT);
      case ')':
        if (!(f.extended && !f.advanced)) v.fail(REG.EPAREN);
        atom = lit(41);
        v.next();
        break;
      case 'PLAIN':
        atom = lit(v.value as number);
        v.next();
        break;
      case '[':
        atom = this.bracket(v.value === 0);
        v.next();
        break;
      case 'CCLASSS':
      case 'CCLASSC':
        atom = `[${v.type === 'CCLASSC' ? '^' : ''}${CLASSES[v.value as string]}]`;
        v.next();
        break;
      case '.':
        atom = f.nlstop ? '[^\\n]' : '[\\s\\S]';
        v.next();
        break;
      case '(': {
        const capturing = !lacon && v.value === 1;
        const subno = capturing ? ++v.nsubexp : 0;
        v.next();
        const inner = this.parse(')', lacon);
        v.next();
        if (capturing) this.closed.add(subno);
        atom = capturing ? `(${inner})` : `(?:${inner})`;
        break;
      }
      case 'BACKREF': {
        const subno = v.value as number;
        if (lacon || !this.closed.has(subno)) v.fail(REG.ESUBREG);
        atom = `\\${subno}`;
        v.next();
        break;
      }
      default:
        return v.fail(ASSERT);
    }
    return atom + this.quantifier();
  }

  private quantifier(): string {
    const v = this.v;
    const t = v.type;
    if (t === '*' || t === '+' || t === '?') {
      const lazy = v.value === 0;
      v.next();
      return t + (lazy ? '?' : '');
    }
    if (t !== '{') return '';
    v.next();
    const m = this.scannum();
    let n: number | undefined = m;
    let lazy = false;
    if (this.eat(',')) {
      n = this.see('DIGIT') ? this.scannum() : undefined;
      if (n !== undefined && m > n) v.fail(REG.BADBR);
      lazy = v.value === 0;
    }
    if (!this.see('}')) v.fail(REG.BADBR);
    v.next();
    return `{${m}${n === m ? '' : `,${n ?? ''}`}}${lazy ? '?' : ''}`;
  }

  private scannum(): number {
    const v = this.v;
    let n = 0;
    while (this.see('DIGIT') && n < DUPMAX) {
      n = n * 10 + (v.value as number);
      v.next();
    }
    if (this.see('DIGIT') || n > DUPMAX) v.fail(REG.BADBR);
    return n;
  }

  /** The contents of `[.x.]`, `[=x=]` or `[:name:]`; the lexer guarantees the closing END. */
  private scanplain(): string {
    const v = this.v;
    v.next();
    let text = '';
    while (this.see('PLAIN')) {
      text += String.fromCodePoint(v.value as number);
      v.next();
    }
    v.next();
    return text;
  }

  private element(text: string): number {
    if (text === '') this.v.fail(REG.ECOLLATE);
    const cps = Array.from(text);
    if (cps.length !== 1) this.v.fail(REG.ECOLLATE);
    return cps[0]!.codePointAt(0)!;
  }

  /** A bracket expression; the current token is `[`. Leaves `]` current. */
  private bracket(negated: boolean): string {
    const v = this.v;
    v.next();
    let items = '';
    while (!this.see(']') && !this.see('EOS')) {
      let start: number;
      switch (v.type) {
        case 'RANGE':
          return v.fail(REG.ERANGE);
        case 'PLAIN':
          start = v.value as number;
          v.next();
          if (!this.see('RANGE')) {
            items += lit(start);
            continue;
          }
          break;
        case 'COLLEL':
          start = this.element(this.scanplain());
          break;
        case 'ECLASS':
          items += lit(this.element(this.scanplain()));
          continue;
        case 'CCLASS': {
          const name = this.scanplain();
          if (name === '' || !Object.hasOwn(CLASSES, name)) v.fail(REG.ECTYPE);
          items += CLASSES[name];
          continue;
        }
        case 'CCLASSS':
        case 'CCLASSC':
          items += v.type === 'CCLASSS' ? CLASSES[v.value as string] : `[^${CLASSES[v.value as string]}]`;
          v.next();
          continue;
        default:
          return v.fail(ASSERT);
      }
      let end = start;
      if (this.see('RANGE')) {
        v.next();
        const t = v.type as Tok;
        if (t === 'PLAIN' || t === 'RANGE') {
          end = v.value as number;
          v.next();
        } else if (t === 'COLLEL') end = this.element(this.scanplain());
        else v.fail(REG.ERANGE);
      }
      if (start > end) v.fail(REG.ERANGE);
      items += start === end ? lit(start) : `${lit(start)}-${lit(Math.min(end, 0x10ffff))}`;
    }
    if (!negated) return `[${items}]`;
    return `[^${items}${v.flags.nlstop ? '\\n' : ''}]`;
  }
}

/** A pattern translated for JavaScript: `source` with `flags`. */
export interface TranslatedRegex {
  source: string;
  flags: string;
}

/**
 * Parses a PostgreSQL regular expression; throws RegexSyntaxError with the server's message
 * (regerror() text) at the first error, else returns the JavaScript equivalent.
 */
export function translateRegex(pattern: string): TranslatedRegex {
  const lexer = new AreLexer(pattern);
  const source = new Parser(lexer).parse('EOS', false);
  return { source, flags: lexer.flags.icase ? 'vi' : 'v' };
}
