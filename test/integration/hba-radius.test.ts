/**
 * RADIUS server names against the server: a name that does not resolve fails its line while the
 * server parses (pg_hba_file_rules shows a row of nulls, a reload keeps the old rules); one that
 * resolves keeps it. `inspect hba` must show the view's rows, and predict whether a reload takes the file.
 */
import { describe, expect, it } from 'vitest';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls, useCluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';

const BASE = 'local all all trust\nhost all postgres 127.0.0.1/32 trust\n';
/** What 127.0.0.2 gets while the old rules are in force. */
const OLD = 'host all all 127.0.0.2/32 reject\n';

describe.each(testedInstalls())('RADIUS server names on PostgreSQL $major', (install) => {
  const cluster = useCluster(install);

  it.each([
    ['a reserved .invalid name', 'radiusservers=nosuch.invalid radiussecrets=s', false],
    ['localhost', 'radiusservers=localhost radiussecrets=s', true],
    ['a list with one name that does not resolve', 'radiusservers="localhost,nosuch.invalid" radiussecrets=s', false],
    ['a bad name before a bad list length', 'radiusservers=nosuch.invalid radiussecrets="a,b,c"', false],
  ])("%s: the view's rows, and whether a reload takes the file", async (_, options, taken) => {
    const c = cluster();
    c.writeFile(c.hbaFile, BASE + OLD);
    await c.reload();
    c.writeFile(c.hbaFile, `${BASE}host all all 127.0.0.2/32 radius ${options}\n`);
    const fileCol = c.major >= 16 ? 'file_name' : `'${c.hbaFile}'::text`;
    const view = await c.query(
      `SELECT ${fileCol} AS file, line_number, type, database, user_name, address, netmask, auth_method, options, error FROM pg_hba_file_rules ORDER BY line_number`,
    );
    const dsn = `host=127.0.0.1 port=${c.port} user=postgres`;
    const r = pgharden(['inspect', 'hba', '--json', '--dsn', dsn]);
    expect(JSON.parse(r.stdout)).toEqual(view);
    // pgharden's prediction: exit 1 when a line fails, and the reload then keeps the old rules.
    expect(r.code, r.stderr).toBe(taken ? 0 : 1);
    expect(view[2]!.type === null).toBe(!taken);
    await c.reload();
    const p = await probe({
      host: '127.0.0.1',
      port: c.port,
      localAddress: '127.0.0.2',
      user: 'postgres',
      database: 'postgres',
    });
    expect(p.kind === 'error' ? p.class : p.kind).toBe(taken ? 'password' : 'rejected');
    if (!taken) {
      const text = pgharden(['inspect', 'hba', '--dsn', dsn]);
      expect(text.stdout).toMatch(
        /:3: could not translate RADIUS server name "nosuch\.invalid" to address: .*only in the server log/,
      );
      const offline = pgharden(['inspect', 'hba', '--json', '--no-resolve', '--dsn', dsn]);
      // Offline the line is judged as if its names resolved: the rule, or the list-length error after it.
      const row = JSON.parse(offline.stdout)[2];
      expect(row.auth_method === 'radius' || /number of RADIUS secrets/.test(row.error)).toBe(true);
      expect(offline.stderr).toContain('RADIUS server names not resolved (--no-resolve): ');
    }
  });

  // hba.c records a warning for a type this server cannot match, and parses on; when a name then
  // fails, the view shows that warning on a row of nulls, whatever error would have come later.
  it.each([
    ['hostssl with ssl off', 'hostssl all all 127.0.0.2/32 radius radiusservers=nosuch.invalid radiussecrets=s'],
    [
      'hostssl with ssl off, and a token that is not name=value after the failed name',
      'hostssl all all 127.0.0.2/32 radius radiusservers=nosuch.invalid noequals',
    ],
    ['a name that fails after the type is fine', 'host all all 127.0.0.2/32 radius radiusservers=nosuch.invalid x'],
  ])("%s: the error the view shows is the server's", async (_, line) => {
    const c = cluster();
    c.writeFile(c.hbaFile, `${BASE}${line}\n`);
    const fileCol = c.major >= 16 ? 'file_name' : `'${c.hbaFile}'::text`;
    const view = await c.query(
      `SELECT ${fileCol} AS file, line_number, type, database, user_name, address, netmask, auth_method, options, error FROM pg_hba_file_rules ORDER BY line_number`,
    );
    expect(view[2]!.type).toBeNull();
    const r = pgharden(['inspect', 'hba', '--json', '--dsn', `host=127.0.0.1 port=${c.port} user=postgres`]);
    expect(JSON.parse(r.stdout)).toEqual(view);
  });
});
