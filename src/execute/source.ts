/**
 * Where a probe can leave from. A check names a sample address of a network (its first host); a
 * real server seldom owns that address, so when it cannot be bound the probe leaves from an
 * address this host does have inside the same network, if any. The loopback network is
 * special: every 127.0.0.0/8 address is local on Linux.
 */
import { networkInterfaces } from 'node:os';
import { inNetwork, parseIp, parsePrefix } from '../conf/ip.js';

/**
 * Why a socket could not leave from a source address: the host does not have it
 * (EADDRNOTAVAIL), or it cannot reach the server's address at all (EINVAL, EAFNOSUPPORT: an IPv6
 * source towards an IPv4 server). Such a probe proves nothing either way.
 */
export function unbindable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRNOTAVAIL' || code === 'EINVAL' || code === 'EAFNOSUPPORT';
}

/** The address family of a numeric host (4 for a name: probes go to 127.0.0.1 by default). */
export const familyOf = (host: string): 4 | 6 => parseIp(host)?.family ?? 4;

/** An address of this host inside `range` (CIDR), or undefined; only of `family` when given. */
export function localAddressIn(range: string, family?: 4 | 6): string | undefined {
  const [addr, bits] = range.split('/');
  const net = addr ? parseIp(addr) : null;
  const mask = net && bits !== undefined ? parsePrefix(bits, net.family) : null;
  if (!net || !mask || (family !== undefined && net.family !== family)) return undefined;
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      const ip = parseIp(i.address.split('%')[0]!);
      if (ip && ip.family === net.family && inNetwork(ip, net, mask)) return i.address;
    }
  }
  return undefined;
}
