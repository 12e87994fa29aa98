/**
 * libpq's connection strings, parsed as libpq parses them (fe-connect.c): a URI
 * (`postgresql://` or `postgres://`), a keyword/value string (`host=/run/pg port=5433`), or a bare
 * database name. Pure: no environment, no files. Resolution (service file, environment, defaults,
 * password file) is in libpq-resolve.ts.
 */
import { InputError } from '../core/errors.js';

/** libpq's connection parameters by keyword; only the ones given. */
export type Conninfo = Record<string, string>;

/** A connection string libpq would refuse; the message is libpq's own wording where it has one. */
export class ConninfoError extends InputError {}

/** Every keyword libpq 14–18 accepts (PQconndefaults); others are refused as libpq refuses them. */
export const KEYWORDS = new Set([
  'service',
  'user',
  'password',
  'passfile',
  'channel_binding',
  'connect_timeout',
  'dbname',
  'host',
  'hostaddr',
  'port',
  'client_encoding',
  'options',
  'application_name',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'sslmode',
  'sslnegotiation',
  'sslcompression',
  'sslcert',
  'sslkey',
  'sslcertmode',
  'sslpassword',
  'sslrootcert',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'requirepeer',
  'require_auth',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'gssencmode',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'replication',
  'target_session_attrs',
  'load_balance_hosts',
  'min_protocol_version',
  'max_protocol_version',
  'scram_client_key',
  'scram_server_key',
  'oauth_issuer',
  'oauth_client_id',
  'oauth_client_secret',
  'oauth_scope',
]);

const URI_PREFIXES = ['postgresql://', 'postgres://'];

/** True for the URI form. */
export const isUri = (s: string) => URI_PREFIXES.some((p) => s.startsWith(p));

function decode(s: string, what: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(s))
    throw new ConninfoError(`invalid percent-encoded token: "${s}" (in the URI's ${what})`);
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i += 1) {
    if (s[i] === '%') {
      const b = Number.parseInt(s.slice(i + 1, i + 3), 16);
      if (b === 0) throw new ConninfoError(`forbidden value %00 in percent-encoded value: "${s}"`);
      bytes.push(b);
      i += 2;
    } else bytes.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Reads the URI form as libpq's conninfo_uri_parse_options does. */
function parseUri(uri: string): Conninfo {
  const out: Conninfo = {};
  let rest = uri.slice(URI_PREFIXES.find((p) => uri.startsWith(p))!.length);
  // User info: libpq looks for the first '@' or '/'; an '@' found first ends the user info.
  const at = rest.search(/[@/]/);
  if (at !== -1 && rest[at] === '@') {
    const info = rest.slice(0, at);
    const colon = info.indexOf(':');
    const user = colon === -1 ? info : info.slice(0, colon);
    if (user) out.user = decode(user, 'user');
    if (colon !== -1) out.password = decode(info.slice(colon + 1), 'password');
    rest = rest.slice(at + 1);
  }
  const hosts: string[] = [];
  const ports: string[] = [];
  for (;;) {
    let host: string;
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close === -1)
        throw new ConninfoError(
          `end of string reached when looking for matching "]" in IPv6 host address in URI: "${uri}"`,
        );
      host = rest.slice(1, close);
      if (host === '') throw new ConninfoError(`IPv6 host address may not be empty in URI: "${uri}"`);
      rest = rest.slice(close + 1);
      if (rest !== '' && !/^[:/?,]/.test(rest))
        throw new ConninfoError(
          `unexpected character "${rest[0]}" at position ${uri.length - rest.length + 1} in URI (expected ":" or "/"): "${uri}"`,
        );
    } else {
      const stop = rest.search(/[:/?,]/);
      host = stop === -1 ? rest : rest.slice(0, stop);
      rest = stop === -1 ? '' : rest.slice(stop);
      host = decode(host, 'host');
    }
    let port = '';
    if (rest.startsWith(':')) {
      const stop = rest.slice(1).search(/[/?,]/);
      port = stop === -1 ? rest.slice(1) : rest.slice(1, stop + 1);
      rest = stop === -1 ? '' : rest.slice(stop + 1);
    }
    hosts.push(host);
    ports.push(port);
    if (!rest.startsWith(',')) break;
    rest = rest.slice(1);
  }
  if (hosts.some((h) => h !== '')) out.host = hosts.join(',');
  if (ports.some((p) => p !== '')) out.port = ports.join(',');
  if (rest.startsWith('/')) {
    const q = rest.indexOf('?');
    const db = q === -1 ? rest.slice(1) : rest.slice(1, q);
    if (db) out.dbname = decode(db, 'database');
    rest = q === -1 ? '' : rest.slice(q);
  }
  if (rest.startsWith('?')) {
    for (const pair of rest.slice(1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq === -1) throw new ConninfoError(`missing key/value separator "=" in URI query parameter: "${pair}"`);
      if (pair.indexOf('=', eq + 1) !== -1)
        throw new ConninfoError(`extra key/value separator "=" in URI query parameter: "${pair}"`);
      let key = decode(pair.slice(0, eq), 'query');
      let value = decode(pair.slice(eq + 1), 'query');
      // libpq's JDBC-compatible spelling.
      if (key === 'ssl' && value === 'true') [key, value] = ['sslmode', 'require'];
      if (!KEYWORDS.has(key)) throw new ConninfoError(`invalid URI query parameter: "${key}"`);
      out[key] = value;
    }
  } else if (rest !== '') {
    throw new ConninfoError(
      `unexpected character "${rest[0]}" at position ${uri.length - rest.length + 1} in URI (expected ":" or "/"): "${uri}"`,
    );
  }
  return out;
}

/** Reads the keyword/value form as libpq's conninfo_parse does (quotes, backslash escapes). */
function parseKeywords(text: string): Conninfo {
  const out: Conninfo = {};
  let i = 0;
  const space = (c: string | undefined) => c !== undefined && /\s/.test(c);
  while (i < text.length) {
    while (space(text[i])) i += 1;
    if (i >= text.length) break;
    const start = i;
    while (i < text.length && !space(text[i]) && text[i] !== '=') i += 1;
    const key = text.slice(start, i);
    while (space(text[i])) i += 1;
    if (text[i] !== '=') throw new ConninfoError(`missing "=" after "${key}" in connection info string`);
    i += 1;
    while (space(text[i])) i += 1;
    let value = '';
    if (text[i] === "'") {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new ConninfoError('unterminated quoted string in connection info string');
        if (text[i] === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (text[i] === "'") {
          i += 1;
          break;
        } else value += text[i++];
      }
    } else {
      while (i < text.length && !space(text[i])) {
        if (text[i] === '\\' && i + 1 < text.length) i += 1;
        value += text[i++];
      }
    }
    if (!KEYWORDS.has(key)) throw new ConninfoError(`invalid connection option "${key}"`);
    out[key] = value;
  }
  return out;
}

/**
 * A connection string as libpq reads it: URI, keyword/value (it holds an "="), or else a plain
 * database name (as `psql mydb` reads its first argument).
 */
export function parseConninfo(text: string): Conninfo {
  if (isUri(text)) return parseUri(text);
  if (text.includes('=')) return parseKeywords(text);
  return text === '' ? {} : { dbname: text };
}

/** Quotes a value for the keyword/value form when libpq would need it. */
export function keywordValue(v: string): string {
  return v !== '' && !/[\s'\\]/.test(v) ? v : `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** The keyword/value form of some parameters, in the order given. */
export function formatConninfo(params: Conninfo): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${keywordValue(v)}`)
    .join(' ');
}
