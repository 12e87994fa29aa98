/**
 * Every connection form pgharden takes, compared with libpq's own psql given the same string and
 * environment: the same server, user and database reached, or the same refusal.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/connect/connect.js';
import { testedInstalls, useCluster } from '../support/cluster.js';

const HBA = `local all all trust
host all alice 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
`;

const WHO =
  "SELECT current_user || '|' || current_database() || '|' || current_setting('port') || '|' || coalesce(host(inet_server_addr()), 'socket') AS who";

/** What psql (libpq itself, not Debian's wrapper) reaches with a connection string and environment. */
function psqlWho(psql: string, dsn: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(psql, ['-X', '-w', '-At', '-d', dsn, '-c', WHO], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: env.HOME, ...env },
  });
  return r.status === 0 ? r.stdout.trim() : 'refused';
}

async function pghardenWho(dsn: string, env: NodeJS.ProcessEnv): Promise<string> {
  // pgharden reads HOME through os.homedir(), which follows the HOME variable.
  const saved = process.env.HOME;
  process.env.HOME = env.HOME;
  try {
    const c = await connect({ dsn, env: { ...env } });
    try {
      return (await c.query<{ who: string }>(WHO)).rows[0]!.who;
    } finally {
      await c.end();
    }
  } catch {
    return 'refused';
  } finally {
    process.env.HOME = saved;
  }
}

describe.each(testedInstalls().filter((i) => i.major === 15 || i.major === testedInstalls().at(-1)!.major))(
  'connection forms on PostgreSQL $major',
  (install) => {
    const cluster = useCluster(install, { hbaConf: HBA });
    let home: string;
    const psql = '/usr/lib/postgresql/15/bin/psql';

    beforeAll(async () => {
      await cluster().query("CREATE ROLE alice LOGIN PASSWORD 'wonder land'");
      await cluster().query('CREATE DATABASE shop');
      home = mkdtempSync(join(tmpdir(), 'pgharden-home-'));
      const { socketDir, port } = cluster();
      writeFileSync(
        join(home, '.pg_service.conf'),
        `[shop]\nhost=${socketDir}\nport=${port}\ndbname=shop\nuser=postgres\n\n[alice]\nhost=127.0.0.1\nport=${port}\nuser=alice\ndbname=postgres\n`,
      );
      writeFileSync(join(home, '.pgpass'), `127.0.0.1:${port}:*:alice:wonder land\n`, { mode: 0o600 });
      writeFileSync(join(home, 'open.pgpass'), `127.0.0.1:${port}:*:alice:wonder land\n`);
      chmodSync(join(home, 'open.pgpass'), 0o644);
      writeFileSync(join(home, 'sysconf.pg_service.conf'), '');
    });
    afterAll(() => rmSync(home, { recursive: true, force: true }));

    // Each case: a connection string and the environment beside it (HOME is the test's).
    const cases = (): [string, string, NodeJS.ProcessEnv][] => {
      const { socketDir: s, port: p } = cluster();
      const enc = encodeURIComponent(s);
      return [
        ['URI with an empty host and ?host=', `postgres://postgres@/postgres?host=${s}&port=${p}`, {}],
        ['URI with user, empty host and port, host as a parameter', `postgresql://postgres@:${p}/shop?host=${s}`, {}],
        ['URI with a percent-encoded socket directory', `postgresql://${enc}:${p}/shop?user=postgres`, {}],
        ['URI over TCP', `postgresql://postgres@127.0.0.1:${p}/shop`, {}],
        ['URI with dbname and user as parameters', `postgresql://127.0.0.1:${p}?dbname=shop&user=postgres`, {}],
        [
          'URI with an IPv4 host in brackets-free form and application_name',
          `postgres://127.0.0.1:${p}/postgres?user=postgres&application_name=x`,
          {},
        ],
        ['keyword/value over the socket', `host=${s} port=${p} user=postgres dbname=shop`, {}],
        [
          'keyword/value with quoted values and spaces around =',
          `host = '${s}' port=${p} user='postgres' dbname = 'shop'`,
          {},
        ],
        [
          'keyword/value with a password',
          `host=127.0.0.1 port=${p} user=alice password='wonder land' dbname=postgres`,
          {},
        ],
        ['keyword/value, wrong password', `host=127.0.0.1 port=${p} user=alice password=nope dbname=postgres`, {}],
        ['password from ~/.pgpass', `host=127.0.0.1 port=${p} user=alice dbname=postgres`, {}],
        [
          'password from PGPASSFILE',
          `host=127.0.0.1 port=${p} user=alice dbname=postgres`,
          { PGPASSFILE: 'HOME/.pgpass' },
        ],
        [
          'a PGPASSFILE others can read is ignored',
          `host=127.0.0.1 port=${p} user=alice dbname=postgres`,
          { PGPASSFILE: 'HOME/open.pgpass' },
        ],
        ['service= inside a DSN', 'service=shop', {}],
        ['service= with an override', 'service=shop dbname=postgres', {}],
        ['PGSERVICE', '', { PGSERVICE: 'shop' }],
        ['PGSERVICE with a password from ~/.pgpass', '', { PGSERVICE: 'alice' }],
        ['PGSERVICEFILE', '', { PGSERVICE: 'shop', PGSERVICEFILE: 'HOME/.pg_service.conf' }],
        ['an unknown service', 'service=nope', { PGSYSCONFDIR: 'HOME' }],
        ['environment only', '', { PGHOST: s, PGPORT: String(p), PGUSER: 'postgres', PGDATABASE: 'shop' }],
        [
          'environment under a DSN',
          `dbname=postgres`,
          { PGHOST: s, PGPORT: String(p), PGUSER: 'postgres', PGDATABASE: 'shop' },
        ],
        ['PGSSLMODE=disable over TCP', `host=127.0.0.1 port=${p} user=postgres`, { PGSSLMODE: 'disable' }],
        ['sslmode=require where the server has no SSL', `host=127.0.0.1 port=${p} user=postgres sslmode=require`, {}],
        [
          'PGCONNECT_TIMEOUT and PGAPPNAME',
          `host=127.0.0.1 port=${p} user=postgres`,
          { PGCONNECT_TIMEOUT: '5', PGAPPNAME: 'app' },
        ],
        ['a database name alone', 'shop', { PGHOST: s, PGPORT: String(p), PGUSER: 'postgres' }],
        ['a wrong port', `host=${s} port=1 user=postgres`, {}],
        ['a missing socket directory', `host=/nonexistent/dir port=${p} user=postgres`, {}],
        ['a database that does not exist', `host=${s} port=${p} user=postgres dbname=nope`, {}],
      ];
    };

    it('reaches the same server, user and database as psql for every form, or is refused as psql is', async () => {
      const rows: string[] = [];
      for (const [what, dsn, env0] of cases()) {
        const env = Object.fromEntries(
          Object.entries({ ...env0, HOME: home }).map(([k, v]) => [k, v.replace(/^HOME/, home)]),
        );
        const viaPsql = psqlWho(psql, dsn, env);
        const viaPgharden = await pghardenWho(dsn, env);
        rows.push(`${what}: psql ${viaPsql}, pgharden ${viaPgharden}`);
        expect(`${what}: ${viaPgharden}`).toBe(`${what}: ${viaPsql}`);
      }
      // The table is the evidence: at least the successes and refusals both occur.
      expect(rows.some((r) => r.includes('psql refused'))).toBe(true);
      expect(rows.filter((r) => !r.includes('psql refused')).length).toBeGreaterThan(15);
    });

    it('switching the database of a connection keeps every other parameter', async () => {
      const { socketDir: s, port: p } = cluster();
      const c = await connect({
        dsn: `postgresql://alice:wonder%20land@127.0.0.1:${p}/postgres?application_name=kept`,
        database: 'shop',
        env: {},
      });
      try {
        const r = (
          await c.query<{ u: string; d: string; a: string }>(
            "SELECT current_user AS u, current_database() AS d, current_setting('application_name') AS a",
          )
        ).rows[0]!;
        expect(r).toEqual({ u: 'alice', d: 'shop', a: 'kept' });
      } finally {
        await c.end();
      }
      expect(s).toBeTruthy();
    });
  },
);
