import { describe, expect, it } from 'vitest';
import { nextToken, unquote, type GucTokenKind } from '../../../src/conf/guc-lexer.js';

/** Every token of one line as [kind, text]. */
function tokens(line: string): [GucTokenKind, string][] {
  const out: [GucTokenKind, string][] = [];
  for (let t = nextToken(line, 0); t; t = nextToken(line, t.start + t.text.length)) out.push([t.kind, t.text]);
  return out;
}

describe('nextToken', () => {
  it.each<[string, [GucTokenKind, string][]]>([
    ['work_mem', [['id', 'work_mem']]],
    ['pg_stat_statements.max', [['qualified_id', 'pg_stat_statements.max']]],
    ['a.b.c', [['unquoted', 'a.b.c']]],
    ['a.1', [['unquoted', 'a.1']]],
    ['pg_log/archive-1:x', [['unquoted', 'pg_log/archive-1:x']]],
    ['ünï', [['id', 'ünï']]],
    ["'it''s'", [['string', "'it''s'"]]],
    ["'a\\'b'", [['string', "'a\\'b'"]]],
    [
      "'open",
      [
        ['error', "'"],
        ['id', 'open'],
      ],
    ],
    [
      "'ends in backslash\\'",
      [
        ['error', "'"],
        ['id', 'ends'],
        ['id', 'in'],
        ['id', 'backslash'],
        ['error', '\\'],
        ['error', "'"],
      ],
    ],
    ['4MB', [['integer', '4MB']]],
    ['-1', [['integer', '-1']]],
    ['0x1F', [['integer', '0x1F']]],
    [
      '0X1F',
      [
        ['integer', '0X'],
        ['integer', '1F'],
      ],
    ],
    ['0xg', [['integer', '0xg']]],
    [
      '1e5',
      [
        ['integer', '1e'],
        ['integer', '5'],
      ],
    ],
    ['1.5e3', [['real', '1.5e3']]],
    [
      '1.5GB',
      [
        ['real', '1.5'],
        ['id', 'GB'],
      ],
    ],
    ['.', [['real', '.']]],
    ['+.5', [['real', '+.5']]],
    [
      '1.e',
      [
        ['real', '1.'],
        ['id', 'e'],
      ],
    ],
    ['-', [['error', '-']]],
    [
      '=4MB',
      [
        ['equals', '='],
        ['integer', '4MB'],
      ],
    ],
    [
      '/var/log',
      [
        ['error', '/'],
        ['unquoted', 'var/log'],
      ],
    ],
    [
      'a = b # c = d',
      [
        ['id', 'a'],
        ['equals', '='],
        ['id', 'b'],
      ],
    ],
    ['\t a\r', [['id', 'a']]],
    ['a\nb', [['id', 'a']]],
  ])('%j', (line, expected) => {
    expect(tokens(line)).toEqual(expected);
  });

  it('gives the offset of each token', () => {
    expect(nextToken('  x = 1', 3)).toEqual({ kind: 'equals', text: '=', start: 4 });
  });
});

describe('unquote', () => {
  it.each([
    ["'plain'", 'plain'],
    ["'it''s'", "it's"],
    ["'\\'q\\''", "'q'"],
    ["'\\b\\f\\n\\r\\t'", '\b\f\n\r\t'],
    ["'\\101\\1010'", 'AA0'],
    ["'\\7z'", '\u0007z'],
    ["'\\q\\\\'", 'q\\'],
    ["'ab\\0cd'", 'ab'],
    ["'ab\\000'", 'ab'],
    // One byte: 0o400 wraps to zero, which ends the value.
    ["'x\\400y'", 'x'],
    ["''", ''],
  ])('%s', (token, value) => {
    expect(unquote(token)).toBe(value);
  });
});
