import { describe, expect, it } from 'vitest';
import { formatIp, isCanonicalIpv4, parseIp } from '../../../src/conf/ip.js';

// The readers before the one-pass ones (regular expressions and splits), kept as the reference.
const DOTTED =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function referenceIpv6(text: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(p)) return null;
        const v4 = p.split('.');
        if (v4.some((n) => Number(n) > 255 || (n.length > 1 && n.startsWith('0')))) return null;
        out.push((Number(v4[0]) << 8) | Number(v4[1]), (Number(v4[2]) << 8) | Number(v4[3]));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(Number.parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

function referenceFormat6(b: number[]): string {
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = { base: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { base: i, len: j - i };
    i = j;
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += words[i]!.toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ':';
  return out;
}

/** Deterministic texts near the edges: random characters, and addresses with `::` and zero runs. */
function texts(count: number): string[] {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const out: string[] = [];
  const alphabet = '0123456789abcdefABCDEF:.:.::0g%';
  while (out.length < count) {
    if (rnd(2) === 0) {
      let s = '';
      for (let n = rnd(20); n > 0; n--) s += alphabet[rnd(alphabet.length)];
      out.push(s);
      continue;
    }
    const groups = Array.from({ length: 1 + rnd(9) }, () =>
      rnd(3) === 0 ? '0' : rnd(65536 >> (4 * rnd(4))).toString(16),
    );
    if (rnd(4) === 0) groups[groups.length - 1] = `${rnd(300)}.${rnd(300)}.${rnd(256)}.${rnd(256)}`;
    if (rnd(2) === 0) groups.splice(rnd(groups.length + 1), 0, '');
    let s = groups.join(':');
    if (s.startsWith(':') && rnd(2) === 0) s = `:${s}`;
    if (s.endsWith(':') && rnd(2) === 0) s = `${s}:`;
    out.push(s);
  }
  return out;
}

describe('the one-pass address readers agree with the regular-expression ones', () => {
  const cases = texts(30_000);

  it('isCanonicalIpv4 on dotted texts', () => {
    const dotted = cases.filter((t) => !t.includes(':'));
    const wrong = [...dotted, '0.0.0.0', '255.255.255.255', '01.2.3.4', '1.2.3.256', '1.2.3', '1.2.3.4.'].filter(
      (t) => isCanonicalIpv4(t) !== DOTTED.test(t),
    );
    expect(wrong).toEqual([]);
  });

  it('parseIp and formatIp on IPv6 texts', () => {
    let valid = 0;
    const wrong: string[] = [];
    for (const t of cases) {
      if (DOTTED.test(t) || /^[0-9a-fA-FxX.]+$/.test(t) || t.includes('%')) continue;
      const want = referenceIpv6(t);
      const got = parseIp(t);
      if (JSON.stringify(got ? [...got.bytes] : null) !== JSON.stringify(want)) wrong.push(t);
      else if (want) {
        valid++;
        if (formatIp(got!) !== referenceFormat6(want)) wrong.push(t);
      }
    }
    expect(wrong).toEqual([]);
    // The generated texts reach both answers.
    expect(valid).toBeGreaterThan(300);
  });
});
