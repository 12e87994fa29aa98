import { describe, expect, it } from 'vitest';
import { compileName, regexError } from '../../../src/conf/regex.js';

// Messages as PostgreSQL's regerror() gives them (checked against servers in
// test/integration/hba-regex.test.ts).
describe('regexError', () => {
  it.each([
    ['^(.*)@example\\.com$', undefined],
    ['[[:alpha:]_]+\\d*', undefined],
    ['a{,3}', undefined],
    ['(?i)admin', undefined],
    ['***=a.b', undefined],
    ['\\y\\m\\M\\A\\Z', undefined],
    ['[]a]', undefined],
    ['x}', undefined],
    ['(a', 'parentheses () not balanced'],
    ['a)', 'parentheses () not balanced'],
    ['[a', 'brackets [] not balanced'],
    ['[]', 'brackets [] not balanced'],
    ['a{2', 'braces {} not balanced'],
    ['a{2,1}', 'invalid repetition count(s)'],
    ['a{256}', 'invalid repetition count(s)'],
    ['a{1,2,3}', 'invalid repetition count(s)'],
    ['*a', 'quantifier operand invalid'],
    ['^*', 'quantifier operand invalid'],
    ['(?<n>a)', 'quantifier operand invalid'],
    ['***x', 'quantifier operand invalid'],
    ['(?P<n>a)', 'invalid embedded option'],
    ['\\p{L}', 'invalid escape \\ sequence'],
    ['\\u12', 'invalid escape \\ sequence'],
    ['[a-\\d]', 'invalid character range'],
    ['[z-a]', 'invalid character range'],
    ['[[:foo:]]', 'invalid character class'],
    ['[[.ab.]]', 'invalid collating element'],
    ['\\1', 'invalid backreference number'],
    ['(a\\1)', 'invalid backreference number'],
    ['***?', 'invalid regexp (reg version 0.8)'],
  ])('%s', (pattern, message) => {
    expect(regexError(pattern)).toBe(message && `invalid regular expression "${pattern}": ${message}`);
  });
});

describe('compileName', () => {
  it.each([
    ['^r.*$', 'robert', true],
    ['^r.*$', 'Robert', false],
    ['(?i)^r', 'Robert', true],
    ['[[:digit:]]+$', 'app42', true],
    ['\\mapp\\M', 'my app', true],
    ['\\mapp\\M', 'myapp', false],
    ['***=a.b', 'a.b', true],
    ['***=a.b', 'axb', false],
    ['^(a)\\1$', 'aa', true],
    ['(?x) ^ a b $ # comment', 'ab', true],
    ['^\\d{2,3}$', '1234', false],
  ])('/%s on %s', (pattern, name, expected) => {
    expect(compileName(pattern)?.test(name)).toBe(expected);
  });

  it('returns null for a pattern the server rejects', () => {
    expect(compileName('(')).toBeNull();
  });
});
