/**
 * `pgharden consumers --scan DIR...`: where connection strings live, to help write the spec.
 * Walks the directories (not into .git or node_modules, at most 6 levels, files under 1 MB),
 * and reports every connection string (URI, keyword/value, .pgpass line, pg_service.conf section)
 * with its key, user and database, and every PG* variable.
 * Passwords are never part of what it returns.
 */
import { readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { findSites } from './edit.js';

export interface FoundDsn {
  file: string;
  line: number;
  key: string | null;
  kind: 'uri' | 'keyword' | 'pgpass' | 'service' | 'pgvar';
  user: string | null;
  database: string | null;
  /** The URI with any password replaced by `<redacted>`, or the variable's name. */
  shown: string;
}

const SKIP = new Set(['.git', 'node_modules', '.cache', '__pycache__', '.venv']);
const PGVAR = /^[ \t]*(?:export[ \t]+)?(PG(?:HOST|PORT|USER|PASSWORD|DATABASE|SERVICE))[ \t]*=[ \t]*["']?([^"'\s#]*)/gm;

export const redactKeyword = (dsn: string) => dsn.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/, '$1<redacted>');

export const redactUri = (uri: string) => uri.replace(/^(postgres(?:ql)?:\/\/[^:@/?#]*):[^@/?#]*@/, '$1:<redacted>@');

function scanText(file: string, text: string): FoundDsn[] {
  const out: FoundDsn[] = findSites(file, text).map((s) => ({
    file,
    line: s.line,
    key: s.key,
    kind: s.kind,
    user: s.user,
    database: s.database,
    shown:
      s.kind === 'uri'
        ? redactUri(s.text)
        : s.kind === 'keyword'
          ? redactKeyword(s.text)
          : `${s.kind === 'pgpass' ? '.pgpass' : 'service'} ${s.key} user ${s.user ?? '?'}`,
  }));
  for (const m of text.matchAll(PGVAR)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({
      file,
      line,
      key: m[1]!,
      kind: 'pgvar',
      user: m[1] === 'PGUSER' ? m[2]! : null,
      database: m[1] === 'PGDATABASE' ? m[2]! : null,
      shown: m[1] === 'PGPASSWORD' ? 'PGPASSWORD=<redacted>' : `${m[1]}=${m[2]}`,
    });
  }
  return out.sort((a, b) => a.line - b.line);
}

export function scanDirs(dirs: readonly string[], maxDepth = 6): FoundDsn[] {
  const out: FoundDsn[] = [];
  const walk = (path: string, depth: number) => {
    let st: Stats;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if (depth > maxDepth) return;
      for (const name of readdirSync(path).sort()) if (!SKIP.has(name)) walk(join(path, name), depth + 1);
      return;
    }
    if (!st.isFile() || st.size > 1 << 20) return;
    const bytes = readFileSync(path);
    if (bytes.includes(0)) return; // binary
    for (const site of scanText(path, bytes.toString('utf8'))) out.push(site);
  };
  for (const d of dirs) walk(d, 0);
  return out;
}
