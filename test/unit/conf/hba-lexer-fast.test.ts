import { describe, expect, it } from 'vitest';
import { lexFields } from '../../../src/conf/hba-lexer.js';

// The lexer before its fast path for unquoted tokens, kept as the reference.
function referenceLexFields(text: string) {
  const isBlank = (c: number) => c === 32 || c === 9 || c === 13;
  const fields: { value: string; quoted: boolean; offset: number }[][] = [];
  let p = 0;
  const n = text.length;
  while (p < n) {
    const field: { value: string; quoted: boolean; offset: number }[] = [];
    let trailingComma: boolean;
    do {
      trailingComma = false;
      while (p < n && (isBlank(text.charCodeAt(p)) || text.charCodeAt(p) === 44)) p++;
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
        if (c === 35 && !inQuote) {
          value += text.slice(segment, p);
          segment = p = n;
          break;
        }
        if (c === 44 && !inQuote) {
          value += text.slice(segment, p);
          segment = ++p;
          trailingComma = true;
          break;
        }
        if (c === 34) {
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

describe('lexFields', () => {
  it('agrees with the character-by-character lexer on 100,000 generated lines', () => {
    let seed = 1;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = 'ab"  ,#\t\r\u00e9x""';
    const wrong: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      let s = '';
      for (let k = rnd(14); k > 0; k--) s += alphabet[rnd(alphabet.length)];
      if (JSON.stringify(lexFields(s)) !== JSON.stringify(referenceLexFields(s))) wrong.push(s);
    }
    expect(wrong).toEqual([]);
  });
});
