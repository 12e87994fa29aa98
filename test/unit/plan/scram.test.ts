import { describe, expect, it } from 'vitest';
import { generatePassword, parseVerifier, saslprep, scramVerifier } from '../../../src/plan/scram.js';

describe('scramVerifier', () => {
  it('is deterministic for a salt and iteration count, in pg_authid form', () => {
    const salt = Buffer.from('0123456789abcdef');
    const v = scramVerifier('pencil', { salt, iterations: 4096 });
    expect(v).toBe(scramVerifier('pencil', { salt, iterations: 4096 }));
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:MDEyMzQ1Njc4OWFiY2RlZg==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(parseVerifier(v)).toEqual({ iterations: 4096, salt });
    expect(scramVerifier('pencil', { salt, iterations: 4097 })).not.toBe(v);
  });

  it('uses a fresh random salt by default', () => {
    expect(scramVerifier('pencil')).not.toBe(scramVerifier('pencil'));
  });
});

describe('saslprep', () => {
  it.each([
    ['plain ASCII is unchanged', 'pass word', 'pass word'],
    ['a non-ASCII space becomes a space', 'pass\u00A0word', 'pass word'],
    ['a soft hyphen is dropped', 'pass\u00ADword', 'password'],
    ['NFKC applies', '\u2168', 'IX'],
  ])('%s', (_, input, output) => {
    expect(saslprep(input).toString('utf8')).toBe(output);
  });
});

describe('generatePassword', () => {
  it('has 192 random bits and needs no quoting', () => {
    const p = generatePassword();
    expect(p).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(new Set(Array.from({ length: 50 }, generatePassword)).size).toBe(50);
  });
});
