/**
 * The demo's fixtures: the story's insecure cluster and a client that connects from a chosen
 * address. They are not part of the public API (src/index.ts): a program that uses pgharden
 * hardens its own server, it does not start the story's. Only `demo/` imports this module
 * (scripts/check-layers.mjs).
 */
export type { Cluster } from './scratch/cluster.js';
export { VPN_DEVICE, VPN_RANGE } from './scratch/story-facts.js';

/** The story's insecure cluster: trust over the VPN range, listen_addresses '*' in the file, the workspace database. */
export async function startStoryCluster(
  install: import('./cluster/install.js').PgInstall,
  o: { ssl?: boolean; settings?: Record<string, string> } = {},
) {
  return (await import('./scratch/story.js')).startStoryCluster(install, o);
}

/** A pg client whose TCP connection leaves from a chosen local address (any of 127.0.0.0/8). */
export async function clientFrom(
  localAddress: string,
  config: import('pg').ClientConfig,
): Promise<import('pg').Client> {
  return (await import('./connect/from-address.js')).clientFrom(localAddress, config);
}
