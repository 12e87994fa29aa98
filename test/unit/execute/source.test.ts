import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { localAddressIn } from '../../../src/execute/source.js';

describe('probe sources', () => {
  it('finds an address of this host inside a range, and none outside every interface', () => {
    expect(localAddressIn('127.0.0.0/8')).toBe('127.0.0.1');
    const v4 = Object.values(networkInterfaces()).flat().find((i) => i?.family === 'IPv4' && !i.internal);
    if (v4) expect(localAddressIn(`${v4.address}/32`)).toBe(v4.address);
    expect(localAddressIn('203.0.113.0/24')).toBeUndefined(); // TEST-NET-3: no host has it
    expect(localAddressIn('not a range')).toBeUndefined();
  });
});
