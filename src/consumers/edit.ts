/**
 * Consumer files: where a connection string sits and how to move it to a new role in place,
 * every other byte kept. Three shapes:
 * - in any text file (.env, YAML, JSON, TOML, INI, systemd `Environment=`): a `postgres://` URI,
 *   or a libpq keyword/value string as the value of a key (in JSON, YAML and TOML, read and
 *   written back with the file's own quoting and escapes: consumer-strings.ts);
 * - `.pgpass`: a `host:port:database:user:password` line (key: `host:port:database`);
 * - `pg_service.conf`: a `[service]` section's `user=` and `password=` (key: the service name).
 */
import { basename } from 'node:path';
import { isKeywordDsn, keywordConfig, parseKeywordDsn, withKeywordCredentials } from './keyword-dsn.js';
import { pgpassSites, rewritePgpass, rewriteService, serviceSites } from './libpq-files.js';
import { dialectOf, encodeValue, stringValues, type Dialect, type Quoting } from './structured.js';
import { InputError } from '../core/errors.js';

/** A place in a file that says how a consumer connects. */
export interface Site {
  kind: 'uri' | 'keyword' | 'pgpass' | 'service';
  /** The variable, key, `host:port:db` or service it belongs to. */
  key: string | null;
  line: number;
  start: number;
  end: number;
  /** The connection string (URI or keyword form), the .pgpass line, or the service's body. */
  text: string;
  user: string | null;
  database: string | null;
  /** The password it holds, if any (never shown; used only to check the DSN logs in). */
  password?: string | null;
  host?: string | null;
  port?: number | null;
  /** A keyword DSN held in a JSON, YAML or TOML string: `text` is the value as read, [start, end) the whole scalar. */
  quoting?: Quoting;
}

/** A consumer file whose connection string cannot be found or rewritten. */
export class ConsumerFileError extends InputError {}

const URI = /postgres(?:ql)?:\/\/[^\s"'`<>]*/g;
const KEY_BEFORE = /(?:^|\s)(?:export\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*["']?$/;
const lineOf = (text: string, at: number) => text.slice(0, at).split('\n').length;

/** The URI's user and database (percent-decoded). */
export function uriParts(uri: string): { user: string | null; database: string | null } {
  const m = /^postgres(?:ql)?:\/\/(?:([^@/?#]*)@)?[^/?#]*(?:\/([^?#]*))?/.exec(uri);
  const user = m?.[1] ? decodeURIComponent(m[1].split(':')[0]!) : null;
  return { user: user || null, database: m?.[2] ? decodeURIComponent(m[2]) : null };
}

/** `postgres://` URIs in any text, with the key each is the value of. */
export function findUris(text: string): Site[] {
  return [...text.matchAll(URI)].map((m) => {
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    return {
      kind: 'uri',
      key: KEY_BEFORE.exec(text.slice(lineStart, m.index))?.[1] ?? null,
      line: lineOf(text, m.index),
      start: m.index,
      end: m.index + m[0].length,
      text: m[0],
      ...uriParts(m[0]),
    };
  });
}

/** Keyword/value DSNs that are the value of a key: `KEY=...`, `key: "..."`, `"key": "..."`. */
function findKeywordDsns(text: string): Site[] {
  const out: Site[] = [];
  const re =
    /^([ \t]*(?:export[ \t]+|Environment=["']?)?["']?([A-Za-z_][\w.-]*)["']?[ \t]*[:=][ \t]*)(["']?)(.*?)\3[ \t]*,?[ \t]*(?:#.*)?$/gm;
  for (const m of text.matchAll(re)) {
    const value = m[4]!;
    if (value.includes('://') || !isKeywordDsn(value)) continue;
    const start = m.index + m[1]!.length + m[3]!.length;
    const c = keywordConfig(value);
    out.push({
      kind: 'keyword',
      key: m[2]!,
      line: lineOf(text, m.index),
      start,
      end: start + value.length,
      text: value,
      user: (c.user as string) ?? null,
      database: (c.database as string) ?? null,
    });
  }
  return out;
}

/** Keyword/value DSNs held in the string values of a JSON, YAML or TOML file. */
function structuredKeywordDsns(text: string, dialect: Dialect): Site[] {
  return stringValues(text, dialect)
    .filter((v) => !v.value.includes('://') && isKeywordDsn(v.value))
    .map((v) => {
      const c = keywordConfig(v.value);
      return {
        kind: 'keyword',
        key: v.key,
        line: v.line,
        start: v.start,
        end: v.end,
        text: v.value,
        user: (c.user as string) ?? null,
        database: (c.database as string) ?? null,
        quoting: v.quoting,
      };
    });
}

/** Every site in a file; `format` (from the spec), else the file's name, decides .pgpass and pg_service.conf. */
export function findSites(file: string, text: string, format?: string): Site[] {
  const name = basename(file);
  if (format === 'pgpass' || (!format && (name === '.pgpass' || name === 'pgpass'))) return pgpassSites(text);
  if (format === 'pg_service' || (!format && (name === 'pg_service.conf' || name === '.pg_service.conf')))
    return serviceSites(text);
  const dialect = dialectOf(file, format);
  return [...findUris(text), ...(dialect ? structuredKeywordDsns(text, dialect) : findKeywordDsns(text))].sort(
    (a, b) => a.start - b.start,
  );
}

/** The one site to rewrite: by key, or the only one. */
export function chooseSite(file: string, text: string, key?: string, format?: string): Site {
  const sites = findSites(file, text, format).filter((s) => key === undefined || s.key === key);
  if (sites.length === 0) {
    throw new ConsumerFileError(
      `No connection string found in "${file}"${key ? ` under "${key}"` : ''} (looked for a postgres:// URI, a key=value DSN, a .pgpass line or a pg_service.conf section); check "file" and "key" in the spec`,
    );
  }
  if (sites.length > 1) {
    throw new ConsumerFileError(
      `"${file}" has ${sites.length} connection strings (${sites.map((s) => `line ${s.line}${s.key ? ` ${s.key}` : ''}`).join(', ')}); set "key" in the spec to one of them`,
    );
  }
  return sites[0]!;
}

/** The file with the chosen site moved to `user` with `password`; every other byte as it was. */
export function rewriteSite(
  file: string,
  text: string,
  target: { key?: string; format?: string; user: string; password: string },
): string {
  const site = chooseSite(file, text, target.key, target.format);
  if (site.kind === 'pgpass') return rewritePgpass(text, site, target.user, target.password);
  if (site.kind === 'service') return rewriteService(text, site, target.user, target.password);
  let moved: string;
  if (site.kind === 'keyword') {
    moved = withKeywordCredentials(site.text, target.user, target.password);
    if (site.quoting) moved = encodeValue(moved, site.quoting);
  } else {
    const m = /^(postgres(?:ql)?:\/\/)(?:[^@/?#]*@)?(.*)$/s.exec(site.text)!;
    moved = `${m[1]}${encodeURIComponent(target.user)}:${encodeURIComponent(target.password)}@${m[2]}`;
  }
  return text.slice(0, site.start) + moved + text.slice(site.end);
}

/** How to connect as the site says (for checking that it logs in); gaps filled from `fallback`. */
export function siteConfig(site: Site, fallback: { host: string; port: number }): Record<string, unknown> {
  if (site.kind === 'uri') return { connectionString: site.text };
  if (site.kind === 'keyword') return { host: fallback.host, port: fallback.port, ...keywordConfig(site.text) };
  return {
    host: site.host ?? fallback.host,
    port: site.port ?? fallback.port,
    user: site.user,
    password: site.password,
    database: site.database ?? 'postgres',
  };
}

export { parseKeywordDsn };
