import { describe, expect, it } from 'vitest';
import { statementTables } from '../../../src/cluster/statement-tables.js';
import { classifyTables, isControlName, type TableFacts } from '../../../src/cluster/table-usage.js';

const sorted = (s: Set<string> | undefined) => [...(s ?? [])].sort();

describe('statementTables', () => {
  it.each([
    ['SELECT * FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = $1', ['orders', 'products'], []],
    ['INSERT INTO orders (product_id) SELECT id FROM products WHERE name = $1', ['products'], ['orders']],
    ['UPDATE tasks SET done = $1 FROM agents WHERE agents.id = tasks.agent_id', ['agents'], ['tasks']],
    ['DELETE FROM public.tasks WHERE id = $1', [], ['tasks']],
    [
      'MERGE INTO stock s USING deliveries d ON s.id = d.id WHEN MATCHED THEN UPDATE SET n = s.n + d.n',
      ['deliveries'],
      ['stock'],
    ],
    [
      'WITH gone AS (DELETE FROM tasks RETURNING agent_id) SELECT * FROM agents WHERE id IN (SELECT agent_id FROM gone)',
      ['agents', 'gone'],
      ['tasks'],
    ],
    ['TRUNCATE audit_log', [], ['audit_log']],
    ['COPY imports FROM STDIN', [], ['imports']],
    ['SELECT 1 FROM other.t', [], []],
  ])('%s', async (sql, reads, writes) => {
    const t = await statementTables(sql);
    expect(sorted(t?.reads)).toEqual(reads);
    expect(sorted(t?.writes)).toEqual(writes);
  });

  it('gives null for text that is not SQL (pg_stat_statements hides other users’ queries)', async () => {
    expect(await statementTables('<insufficient privilege>')).toBeNull();
  });
});

describe('classifyTables', () => {
  const tables: TableFacts[] = [
    { table: 'orders', comment: null, rowsWritten: 10 },
    { table: 'products', comment: null, rowsWritten: 5 },
    { table: 'agents_kill_switch', comment: null, rowsWritten: 1 },
    { table: 'limits', comment: 'Feature flags the operators set', rowsWritten: 3 },
    { table: 'archive', comment: null, rowsWritten: 0 },
  ];
  const brief = (p: ReturnType<typeof classifyTables>) => p.map((x) => `${x.table} ${x.access} ${x.evidence}`);

  it('follows pg_stat_statements when it is there, controls read-only whatever was written', () => {
    expect(
      brief(
        classifyTables(
          'shop',
          tables,
          { reads: new Set(['products']), writes: new Set(['orders', 'agents_kill_switch']) },
          'app',
        ),
      ),
    ).toEqual([
      'orders read-write pg_stat_statements',
      'products read-only pg_stat_statements',
      'agents_kill_switch read-only control name',
      'limits read-only comment',
      'archive read-only pg_stat_statements',
    ]);
  });

  it('falls back to pg_stat_user_tables, and says that it counts every role', () => {
    const p = classifyTables('shop', tables, null, 'app');
    expect(brief(p)).toEqual([
      'orders read-write pg_stat_user_tables',
      'products read-write pg_stat_user_tables',
      'agents_kill_switch read-only control name',
      'limits read-only comment',
      'archive read-only schema',
    ]);
    expect(p[0]!.why).toContain('by any role: not per user');
  });

  it.each([
    ['agents_kill_switch', true],
    ['killswitch', true],
    ['feature_flags', true],
    ['app_settings', true],
    ['config', true],
    ['audit_log', true],
    ['orders', false],
    ['flagship_products', false],
    ['configurator_jobs', false],
  ])('control name %s → %s', (name, control) => {
    expect(isControlName(name)).toBe(control);
  });
});
