/**
 * The server host's interface addresses, for `samehost` and `samenet`. PostgreSQL compares the
 * client's address with each address of the host it runs on (hba.c check_same_host_or_net, over
 * pg_foreach_ifaddr): samehost with an all-ones mask, samenet with the interface's own netmask.
 * pgharden can list them only on that host, so the answer says where they came from or why not.
 */
import { networkInterfaces } from 'node:os';
import type { MatchFacts } from './match.js';

/** The interfaces of the server's host, or why pgharden cannot know them. */
export type HostInterfaces =
  | { known: true; interfaces: { address: string; netmask: string }[]; how: string }
  | { known: false; reason: string };

/** This machine's addresses and netmasks (os.networkInterfaces: getifaddrs, as the server asks). */
export function localInterfaces(): { address: string; netmask: string }[] {
  return Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .map((i) => ({ address: i.address.split('%')[0]!, netmask: i.netmask }));
}

/** The interfaces when pgharden runs on the server's host (`how` says how that is known). */
export const onServerHost = (how: string): HostInterfaces => ({ known: true, interfaces: localInterfaces(), how });

/** Offline: a file without a server says nothing of the host it will run on. */
export const NO_SERVER: HostInterfaces = {
  known: false,
  reason:
    "no server connected, so pgharden cannot tell whether it runs on the server's host (connect with --dsn or PGHOST, over the socket or on that host)",
};

/** The matcher's facts for samehost/samenet from an answer (undefined: not asked, no reason given). */
export function interfaceFacts(h: HostInterfaces | undefined): Pick<MatchFacts, 'interfaces' | 'interfacesUnknown'> {
  if (h === undefined) return {};
  return h.known ? { interfaces: h.interfaces } : { interfacesUnknown: h.reason };
}
