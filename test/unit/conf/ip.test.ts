import { describe, expect, it } from 'vitest';
import { formatIp, inNetwork, parseIp, prefixToMask } from '../../../src/conf/ip.js';

describe('parseIp and formatIp (glibc getaddrinfo / getnameinfo)', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['10', '0.0.0.10'],
    ['0x7f.1', '127.0.0.1'],
    ['010.0.0.1', '8.0.0.1'],
    ['::1', '::1'],
    ['::', '::'],
    ['FE80:0:0:0:0:0:0:1', 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.168.1.1', '::ffff:192.168.1.1'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['fe80::1%lo', 'fe80::1'],
  ])('%s → %s', (text, printed) => {
    const ip = parseIp(text);
    expect(ip).not.toBeNull();
    expect(formatIp(ip!)).toBe(printed);
  });

  it.each(['256.0.0.1', '1.2.3.4.5', '08.0.0.1', 'db.example.com', '1::2::3', '12345::', '', '1.2.3.'])(
    '%j is not numeric',
    (text) => {
      expect(parseIp(text)).toBeNull();
    },
  );
});

describe('inNetwork', () => {
  const net = (a: string, bits: number) => [parseIp(a)!, prefixToMask(parseIp(a)!.family, bits)!] as const;
  it.each([
    ['10.1.2.3', '10.0.0.0', 8, true],
    ['11.1.2.3', '10.0.0.0', 8, false],
    ['::ffff:10.1.2.3', '10.0.0.0', 8, true],
    ['10.1.2.3', '::', 0, false],
    ['2001:db8::5', '2001:db8::', 32, true],
    ['127.0.0.1', '0.0.0.0', 0, true],
  ])('%s in %s/%d → %s', (addr, base, bits, expected) => {
    const [n, m] = net(base, bits);
    expect(inNetwork(parseIp(addr)!, n, m)).toBe(expected);
  });
});
