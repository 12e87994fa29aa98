/**
 * Debian/Ubuntu clusters (postgresql-common): `/etc/postgresql/VERSION/NAME/postgresql.conf`
 * holds each cluster's port, socket directory and data directory, as `pg_lsclusters` shows them.
 * `--cluster 15/main` and `PGCLUSTER` select one the way Debian's `psql` wrapper does.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConf } from '../conf/load-conf.js';
import { InputError } from '../core/errors.js';

export const DEBIAN_CONF_ROOT = '/etc/postgresql';

/** One Debian-packaged cluster. */
export interface DebianCluster {
  version: string;
  name: string;
  /** `15/main`. */
  id: string;
  configDir: string;
  port: number;
  socketDir: string;
  dataDirectory: string;
  /** Its socket file exists: the server is accepting local connections. */
  running: boolean;
}

/** A `--cluster` or `PGCLUSTER` value that names no cluster. */
export class ClusterError extends InputError {}

function settingsOf(confFile: string): Map<string, string> {
  const values = new Map<string, string>();
  // Later entries win, as in the server (conf.d included).
  for (const e of loadConf(confFile).entries)
    if (e.name && e.value !== null && !e.error) values.set(e.name.toLowerCase(), e.value);
  return values;
}

/** Reads one cluster's facts from its configuration directory. */
export function readCluster(version: string, name: string, root = DEBIAN_CONF_ROOT): DebianCluster {
  const configDir = join(root, version, name);
  const s = settingsOf(join(configDir, 'postgresql.conf'));
  const port = Number(s.get('port') ?? 5432);
  const dataDirectory = s.get('data_directory') ?? `/var/lib/postgresql/${version}/${name}`;
  // postgresql-common: the first of unix_socket_directories, else /var/run/postgresql.
  const socketDir = s.get('unix_socket_directories')?.split(',')[0]?.trim() || '/var/run/postgresql';
  return {
    version,
    name,
    id: `${version}/${name}`,
    configDir,
    port,
    socketDir,
    dataDirectory,
    running: existsSync(join(socketDir, `.s.PGSQL.${port}`)),
  };
}

/** Every cluster under /etc/postgresql, newest version first, as pg_lsclusters lists them. */
export function listClusters(root = DEBIAN_CONF_ROOT): DebianCluster[] {
  let versions: string[];
  try {
    versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    return [];
  }
  const out: DebianCluster[] = [];
  for (const v of versions.sort((a, b) => Number(b) - Number(a))) {
    for (const name of readdirSync(join(root, v)).sort()) {
      const conf = join(root, v, name, 'postgresql.conf');
      try {
        if (!statSync(conf).isFile()) continue;
        out.push(readCluster(v, name, root));
      } catch {
        // An unreadable cluster directory is not one we can select; pg_lsclusters skips it too.
      }
    }
  }
  return out;
}

/** The cluster `15/main` names, or a ClusterError saying which clusters exist. */
export function findCluster(id: string, root = DEBIAN_CONF_ROOT): DebianCluster {
  const [version, name] = id.split('/', 2) as [string, string | undefined];
  const known = () =>
    listClusters(root)
      .map((c) => c.id)
      .join(', ') || 'none';
  if (!name || !/^\d+(\.\d+)?$/.test(version)) {
    throw new ClusterError(
      `"${id}" is not a cluster name of the form VERSION/NAME (e.g. 15/main)`,
      `pg_lsclusters lists them; clusters here: ${known()}`,
    );
  }
  const dir = join(root, version, name);
  if (!existsSync(join(dir, 'postgresql.conf'))) {
    throw new ClusterError(
      `Cluster ${version} ${name} does not exist (no ${dir}/postgresql.conf)`,
      `choose one of: ${known()}`,
    );
  }
  return readCluster(version, name, root);
}
