/**
 * A Debian-packaged cluster, made the way its users have it: `pg_createcluster` (config in
 * /etc/postgresql/15/NAME, the packaged pg_hba.conf with `local all postgres peer`), started with
 * `pg_ctlcluster`. `listen_addresses = '*'` is written in postgresql.conf as in the story, while
 * pg_ctl.conf keeps the running server on 127.0.0.1 (tests never listen beyond loopback). Dropped with `pg_dropcluster`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './cluster.js';

export interface DebianCluster {
  version: '15';
  name: string;
  id: string;
  port: number;
  configDir: string;
  dataDir: string;
  /** psql as the server's OS user over the socket. */
  psql(sql: string, database?: string): string;
  drop(): void;
}

/** Why a Debian-cluster test cannot run here, or undefined when it can. */
export function debianUnavailable(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'not root (pg_createcluster and the peer admin path need root, as sudo pgharden runs)';
  if (!existsSync('/usr/bin/pg_createcluster'))
    return 'postgresql-common is not installed (apt-get install postgresql-15)';
  if (!existsSync('/usr/lib/postgresql/15/bin/postgres'))
    return 'PostgreSQL 15 is not installed (apt-get install postgresql-15)';
  return undefined;
}

const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Creates and starts a story-like Debian cluster: trust over loopback and the VPN, and for local replication. */
export async function createDebianCluster(name = `pgh${process.pid}`): Promise<DebianCluster> {
  const port = await freePort();
  run('pg_createcluster', ['15', name, '-p', String(port)]);
  const configDir = `/etc/postgresql/15/${name}`;
  const c: DebianCluster = {
    version: '15',
    name,
    id: `15/${name}`,
    port,
    configDir,
    dataDir: `/var/lib/postgresql/15/${name}`,
    psql: (sql, database = 'postgres') =>
      run('runuser', [
        '-u',
        'postgres',
        '--',
        '/usr/lib/postgresql/15/bin/psql',
        '-X',
        '-qAt',
        '-h',
        '/var/run/postgresql',
        '-p',
        String(port),
        '-d',
        database,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ]),
    drop: () => {
      try {
        run('pg_dropcluster', ['--stop', '15', name]);
      } catch {
        // Already gone.
      }
    },
  };
  try {
    const hbaFile = join(configDir, 'pg_hba.conf');
    const hba = readFileSync(hbaFile, 'utf8')
      .replace(
        /^host\s+all\s+all\s+127\.0\.0\.1\/32\s+scram-sha-256$/m,
        'host    all             all             127.0.0.1/32            trust\n# The office VPN\nhost    all             all             127.10.0.0/16           trust',
      )
      .replace(
        /^local\s+replication\s+all\s+peer$/m,
        'local   replication     all                                     trust',
      );
    writeFileSync(hbaFile, hba);
    writeFileSync(
      join(configDir, 'postgresql.conf'),
      `${readFileSync(join(configDir, 'postgresql.conf'), 'utf8')}\n# Added when the VPN went in.\nlisten_addresses = '*'\n`,
    );
    writeFileSync(
      join(configDir, 'pg_ctl.conf'),
      `${readFileSync(join(configDir, 'pg_ctl.conf'), 'utf8')}\npg_ctl_options = '-o -clisten_addresses=127.0.0.1'\n`,
    );
    run('pg_ctlcluster', ['15', name, 'start']);
    c.psql('CREATE DATABASE workspace');
    c.psql(
      `CREATE TABLE agents (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE agents_kill_switch (id int PRIMARY KEY CHECK (id = 1), engaged boolean NOT NULL DEFAULT false);
      INSERT INTO agents (name) SELECT 'agent-' || g FROM generate_series(1, 12) g;
      INSERT INTO agents_kill_switch (id) VALUES (1);`,
      'workspace',
    );
    return c;
  } catch (err) {
    c.drop();
    throw err;
  }
}

/** Every file under a directory: content bytes, mode and owner. */
export function treeIdentity(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = `${readFileSync(p).toString('base64')} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    }
  };
  walk(dir);
  return out;
}
