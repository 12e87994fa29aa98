/**
 * The insecure cluster of pgharden's story, on a scratch cluster: `trust` for everyone over a
 * VPN-like range, `listen_addresses = '*'` written in postgresql.conf (the server itself is
 * bound to 127.0.0.1 by a command-line override, so it is never reachable from another
 * machine), postgresql.conf readable by everyone, and a workspace database whose agents' kill
 * switch any device can flip as superuser.
 */
import { chmodSync } from 'node:fs';
import type { PgInstall } from '../cluster/install.js';
import { startCluster, type Cluster } from './cluster.js';
import { STORY_HBA } from './story-facts.js';

export { STORY_HBA, VPN_DEVICE, VPN_RANGE } from './story-facts.js';

const WORKSPACE_SQL = `
CREATE TABLE agents (id serial PRIMARY KEY, name text NOT NULL, last_seen timestamptz DEFAULT now());
CREATE TABLE tasks (id serial PRIMARY KEY, agent_id int REFERENCES agents, title text NOT NULL, done boolean DEFAULT false);
CREATE TABLE agents_kill_switch (id int PRIMARY KEY CHECK (id = 1), engaged boolean NOT NULL DEFAULT false, changed_by text, changed_at timestamptz);
INSERT INTO agents (name) SELECT 'agent-' || g FROM generate_series(1, 12) g;
INSERT INTO tasks (agent_id, title) SELECT 1 + g % 12, 'task ' || g FROM generate_series(1, 250) g;
INSERT INTO agents_kill_switch (id) VALUES (1);
`;

/** Starts the story cluster with its workspace database. The caller stops it. */
export async function startStoryCluster(
  install: PgInstall,
  opts: { ssl?: boolean; settings?: Record<string, string> } = {},
): Promise<Cluster> {
  const cluster = await startCluster(install, {
    ...(opts.ssl ? { ssl: true } : {}),
    ...(opts.settings ? { settings: opts.settings } : {}),
    appendConf: '\n# Added when the VPN went in, "so the agents can reach it".\nlisten_addresses = \'*\'\n',
    hbaConf: STORY_HBA,
  });
  try {
    chmodSync(cluster.confFile, 0o644);
    await cluster.query('CREATE DATABASE workspace');
    const c = await cluster.connect({ database: 'workspace' });
    try {
      await c.query(WORKSPACE_SQL);
    } finally {
      await c.end();
    }
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
