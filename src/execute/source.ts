/**
 * Where a probe can leave from. A check names a sample address of a network (its first host); a
 * real server seldom owns that address, so when it cannot be bound the probe leaves from an
 * address this host does have inside the same network, if any. The loopback network is
 * special: every 127.0.0.0/8 address is local on Linux.
 */
import { networkInterfaces } from 'node:os';
import { inNetwork, parseIp, parsePrefix } from '../conf/ip.js';

/** An address of this host inside `range` (CIDR), or undefined. */
export function localAddressIn(range: string): string | undefined {
  const [addr, bits] = range.split('/');
  const net = addr ? parseIp(addr) : null;
  const mask = net && bits !== undefined ? parsePrefix(bits, net.family) : null;
  if (!net || !mask) return undefined;
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      const ip = parseIp(i.address.split('%')[0]!);
      if (ip && ip.family === net.family && inNetwork(ip, net, mask)) return i.address;
    }
  }
  return undefined;
}
