/**
 * Judges the entries read from the configuration files as the server does for
 * `pg_file_settings`: unknown names, later duplicates winning, values that do not parse for the
 * parameter's type, unit and range, and restart-only parameters whose value differs from the
 * running one. The parameter catalog (from pg_settings) comes in as a value.
 */
import { accepted, type GucCatalog, type GucParam, type HostFacts } from './guc-values.js';
import type { LoadedConf } from './load-conf.js';

/** A row of `pg_file_settings`. */
export interface FileSettingRow {
  /** Null for the server's own end-of-list reports. */
  sourcefile: string | null;
  sourceline: number | null;
  seqno: number;
  name: string | null;
  setting: string | null;
  applied: boolean;
  error: string | null;
}

/** Old names the server still maps to their new ones. */
const RENAMED = new Map([
  ['sort_mem', 'work_mem'],
  ['vacuum_mem', 'maintenance_work_mem'],
  ['ssl_ecdh_curve', 'ssl_groups'],
]);

/** find_option: the name in any case, else the parameter an old name now stands for. */
function findParam(catalog: GucCatalog, name: string): GucParam | undefined {
  const lower = name.toLowerCase();
  const found = catalog.get(lower);
  if (found) return found;
  const renamed = RENAMED.get(lower);
  return renamed === undefined ? undefined : catalog.get(renamed);
}

/** A custom (extension) name: dotted identifiers (any non-ASCII character counts as a letter), accepted without a definition. */
const CUSTOM_NAME =
  /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*(?:\.[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)+$/;

interface Item {
  file: string | null;
  line: number | null;
  name: string | null;
  value: string | null;
  error: string | null;
  /** A server-side mark: an entry replaced by a later one, or not a setting at all. */
  ignore: boolean;
  applied: boolean;
}

/** The rows of pg_file_settings for the loaded files. */
export function fileSettingsRows(loaded: LoadedConf, catalog: GucCatalog, host: HostFacts = {}): FileSettingRow[] {
  const items: Item[] = loaded.entries.map((e) => ({
    file: e.file,
    line: e.line,
    name: e.name,
    value: e.value,
    error: e.error,
    ignore: e.name === null,
    applied: false,
  }));
  if (loaded.readOk) {
    const inFile = new Set<string>();
    // Earlier entries still live, by name exactly as written: a later entry for a parameter
    // already in the files retires those spelled the same (the server compares with strcmp).
    const live = new Map<string, number[]>();
    let error = false;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.ignore) continue;
      const p = findParam(catalog, item.name!);
      if (p) {
        const same = live.get(item.name!);
        if (inFile.has(p.name) && same) {
          for (const j of same) items[j]!.ignore = true;
          same.length = 0;
        }
        if (same) same.push(i);
        else live.set(item.name!, [i]);
        inFile.add(p.name);
      } else if (!CUSTOM_NAME.test(item.name!)) {
        item.error = 'unrecognized configuration parameter';
        error = true;
      }
    }
    if (!error) {
      // A restart-only parameter that the files set before and no longer mention would have to
      // go back to its default: the server reports it at the end of the list.
      const removed = [...catalog.values()]
        .filter(
          (p) =>
            p.source === 'configuration file' &&
            (p.context === 'postmaster' || p.context === 'internal') &&
            !inFile.has(p.name),
        )
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const p of removed) {
        items.push({
          file: null,
          line: null,
          name: null,
          value: null,
          ignore: true,
          applied: false,
          error: `parameter "${p.name}" cannot be changed without restarting the server`,
        });
      }
      for (const item of items) {
        if (item.ignore) continue;
        const p = findParam(catalog, item.name!);
        if (!p || accepted(p, item.value!, host)) item.applied = true;
        else item.error = 'setting could not be applied';
      }
    }
  }
  return items.map((it, i) => ({
    sourcefile: it.file,
    sourceline: it.line,
    seqno: i + 1,
    name: it.name,
    setting: it.value,
    applied: it.applied,
    error: it.error,
  }));
}
