/**
 * Least privilege from evidence, on a real server with pg_stat_statements loaded: a role whose
 * workload reads one table and writes another gets exactly that proposal, from pg_stat_statements.
 */
import { describe, expect, it } from 'vitest';
import { tableUsage } from '../../src/index.js';
import { testedInstalls, useCluster } from '../support/cluster.js';

describe.each(testedInstalls())('table usage on PostgreSQL $major', (install) => {
  const cluster = useCluster(install, { settings: { shared_preload_libraries: 'pg_stat_statements' } });

  it('proposes from what the role ran: the table it writes read-write, the one it only reads read-only', async () => {
    const c = cluster();
    await c.query('CREATE DATABASE shop');
    const admin = await c.connect({ database: 'shop' });
    try {
      await admin.query(`
        CREATE EXTENSION pg_stat_statements;
        CREATE ROLE shop_web LOGIN;
        CREATE TABLE products (id int PRIMARY KEY, name text);
        CREATE TABLE orders (id serial PRIMARY KEY, product_id int REFERENCES products);
        INSERT INTO products VALUES (1, 'tea'), (2, 'coffee');
        GRANT SELECT ON products TO shop_web;
        GRANT SELECT, INSERT ON orders TO shop_web;
        GRANT USAGE ON SEQUENCE orders_id_seq TO shop_web;`);
      const web = await c.connect({ database: 'shop', user: 'shop_web' });
      try {
        const { rows } = await web.query<{ id: number }>('SELECT id FROM products WHERE name = $1', ['tea']);
        await web.query('INSERT INTO orders (product_id) VALUES ($1)', [rows[0]!.id]);
      } finally {
        await web.end();
      }
    } finally {
      await admin.end();
    }
    const proposals = await tableUsage({
      connection: { dsn: `host=127.0.0.1 port=${c.port} user=postgres dbname=postgres` },
      user: 'shop_web',
      databases: ['shop'],
    });
    expect(proposals.map(({ why: _, ...p }) => p)).toEqual([
      { database: 'shop', table: 'orders', access: 'read-write', evidence: 'pg_stat_statements' },
      { database: 'shop', table: 'products', access: 'read-only', evidence: 'pg_stat_statements' },
    ]);
    expect(proposals[1]!.why).toBe("shop_web's statements only read it");
  });
});
