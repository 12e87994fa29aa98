import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/canonical.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined members, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [{ z: 1, y: undefined, x: 'é' }, 2], c: null })).toBe(
      '{"a":[{"x":"é","z":1},2],"b":1,"c":null}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it.each(['quote " and \\ backslash', 'line\nbreak\u0001', '\u2028', '😀'])(
    'escapes %j exactly as JSON.stringify',
    (s) => {
      expect(canonicalJson({ s })).toBe(`{"s":${JSON.stringify(s)}}`);
    },
  );

  it.each([[Number.NaN], [Infinity], [() => 1], [10n]])('refuses %s', (v) => {
    expect(() => canonicalJson({ v })).toThrow(TypeError);
  });
});
