import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { localAddressIn } from '../../../src/execute/source.js';

describe('probe sources', () => {
  it('finds an address of this host inside a range, and none outside every interface', () => {
    expect(localAddressIn('127.0.0.0/8')).toBe('127.0.0.1');
    const v4 = Object.values(networkInterfaces())
      .flat()
      .find((i) => i?.family === 'IPv4' && !i.internal);
    if (v4) expect(localAddressIn(`${v4.address}/32`)).toBe(v4.address);
    expect(localAddressIn('203.0.113.0/24')).toBeUndefined(); // TEST-NET-3: no host has it
    expect(localAddressIn('not a range')).toBeUndefined();
  });
});

describe('unbindable sources', () => {
  it('tells "could not leave from there" from other errors, and picks an address of the server\'s family', async () => {
    const { unbindable, familyOf } = await import('../../../src/execute/source.js');
    expect(['EADDRNOTAVAIL', 'EINVAL', 'EAFNOSUPPORT'].map((code) => unbindable({ code }))).toEqual([true, true, true]);
    expect(unbindable({ code: 'ECONNREFUSED' })).toBe(false);
    expect(familyOf('127.0.0.1')).toBe(4);
    expect(familyOf('::1')).toBe(6);
    expect(localAddressIn('::1/128', 4)).toBeUndefined();
    expect(localAddressIn('127.0.0.0/8', 4)).toBe('127.0.0.1');
  });
});
