import type pg from 'pg';
import type { GucCatalog, GucParam } from '../conf/guc-values.js';

/** The server's parameters from pg_settings, with their running values, as a plain value. */
export async function gucCatalogFromServer(client: pg.Client): Promise<GucCatalog> {
  const { rows } = await client.query<{
    name: string;
    vartype: GucParam['vartype'];
    context: string;
    unit: string | null;
    min_val: string | null;
    max_val: string | null;
    enumvals: string[] | null;
    setting: string;
    source: string;
  }>('SELECT name, vartype, context, unit, min_val, max_val, enumvals, setting, source FROM pg_settings');
  const catalog: GucCatalog = new Map();
  for (const r of rows) {
    catalog.set(r.name.toLowerCase(), {
      name: r.name,
      vartype: r.vartype,
      context: r.context,
      unit: r.unit,
      min: r.min_val,
      max: r.max_val,
      enumvals: r.enumvals,
      setting: r.setting,
      source: r.source,
    });
  }
  return catalog;
}
