/** The built-in role templates on a real server: the app role works with rows and cannot change the schema. */
import { describe, expect, it } from 'vitest';
import { scramVerifier } from '../../src/plan/scram.js';
import { instantiate, loadTemplates } from '../../src/plan/templates.js';
import { testedInstalls, useCluster } from '../support/cluster.js';

describe.each(testedInstalls())('role templates on PostgreSQL $major', (install) => {
  const cluster = useCluster(install);

  it('app-readwrite: SELECT/INSERT/UPDATE/DELETE work, CREATE/DROP/ALTER/TRUNCATE are refused', async () => {
    const c = cluster();
    const templates = await loadTemplates();
    await c.query('CREATE DATABASE shop');
    const owner = await c.connect({ database: 'shop' });
    await owner.query('CREATE TABLE orders (id serial PRIMARY KEY, item text)');
    await owner.query(`CREATE ROLE shop_app LOGIN PASSWORD '${scramVerifier('unused')}'`);
    await owner.query(
      instantiate(templates.get('app-readwrite')!, { role: 'shop_app', database: 'shop', schema: 'public' }),
    );
    // Created after the grants: covered by the default privileges.
    await owner.query('CREATE TABLE later (id int)');
    await owner.query('SET ROLE shop_app');
    for (const ok of [
      "INSERT INTO orders (item) VALUES ('a')",
      "UPDATE orders SET item = 'b'",
      'SELECT count(*) FROM orders',
      'DELETE FROM orders',
      'INSERT INTO later VALUES (1)',
    ]) {
      await expect(owner.query(ok), ok).resolves.toBeDefined();
    }
    for (const refused of [
      'CREATE TABLE x (i int)',
      'DROP TABLE orders',
      'ALTER TABLE orders ADD COLUMN c int',
      'TRUNCATE orders',
    ]) {
      await expect(owner.query(refused), refused).rejects.toThrow(/permission denied|must be owner/);
    }
    await owner.end();
  });
});
