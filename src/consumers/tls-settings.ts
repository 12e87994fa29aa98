/**
 * A consumer's TLS settings in its own file: libpq's `sslmode`, `sslrootcert` and
 * `channel_binding` set in the connection string pgharden already finds there (a URI's query, a
 * keyword/value string, a pg_service.conf section; JSON, YAML and TOML values in their own
 * quoting), every other byte kept. A .pgpass line holds only a password: it has no place for them.
 */
import { chooseSite, ConsumerFileError, replaceSite, rewriteSite, type Site } from './edit.js';
import { withServiceKeys } from './libpq-files.js';
import { keywordValue, parseKeywordDsn } from './keyword-dsn.js';

/** Where the connection string is: as the spec names it. */
export interface SiteRef {
  key?: string;
  format?: string;
}

/** A URI with each query parameter set (replaced where present, else appended). */
export function withUriParams(uri: string, params: Record<string, string>): string {
  let out = uri;
  for (const [k, v] of Object.entries(params)) {
    const value = encodeURIComponent(v).replaceAll('%2F', '/');
    const q = out.indexOf('?');
    const re = new RegExp(`([?&])${k}=[^&#]*`);
    if (q >= 0 && re.test(out.slice(q))) out = out.slice(0, q) + out.slice(q).replace(re, `$1${k}=${value}`);
    else out = `${out}${q >= 0 ? (out.endsWith('?') || out.endsWith('&') ? '' : '&') : '?'}${k}=${value}`;
  }
  return out;
}

/** A keyword/value string with each keyword set (the last occurrence replaced, else appended). */
export function withKeywords(text: string, params: Record<string, string>): string {
  let out = text;
  for (const [key, value] of Object.entries(params)) {
    const t = parseKeywordDsn(out)!
      .filter((x) => x.key === key)
      .at(-1);
    const token = `${key}=${keywordValue(value)}`;
    const body = out.replace(/\s+$/, '');
    out = t ? out.slice(0, t.start) + token + out.slice(t.end) : `${body} ${token}${out.slice(body.length)}`;
  }
  return out;
}

const ORDER = ['sslmode', 'sslrootcert', 'channel_binding'];
const rank = (k: string) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);

/** The parameters in one order whatever the object's (a plan's canonical JSON sorts its keys). */
function ordered(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/**
 * The file with the chosen site's libpq parameters set; every other byte as it was. They are
 * written in one order (sslmode, sslrootcert, channel_binding, then by name), so a plan's
 * predicted text and apply's agree.
 */
export function withConsumerParams(file: string, text: string, at: SiteRef, unordered: Record<string, string>): string {
  const params = ordered(unordered);
  const site = chooseSite(file, text, at.key, at.format);
  if (site.kind === 'pgpass')
    throw new ConsumerFileError(
      `"${file}" is a .pgpass file: it holds passwords only, and libpq reads sslmode, sslrootcert and channel_binding from the connection string; name the file that holds the consumer's connection string (or its pg_service.conf) in the spec instead`,
    );
  if (site.kind === 'service') return withServiceKeys(text, site, Object.entries(params));
  const moved = site.kind === 'uri' ? withUriParams(site.text, params) : withKeywords(site.text, params);
  return replaceSite(file, text, site, moved);
}

/** The libpq parameters a site sets (URI query, keywords, or service lines), by name. */
export function siteParams(site: Site): Record<string, string> {
  if (site.kind === 'uri') {
    const q = site.text.indexOf('?');
    if (q < 0) return {};
    return Object.fromEntries(
      site.text
        .slice(q + 1)
        .split('&')
        .filter(Boolean)
        .map((p) => {
          const [k, ...v] = p.split('=');
          return [decodeURIComponent(k!), decodeURIComponent(v.join('='))];
        }),
    );
  }
  if (site.kind === 'keyword')
    return Object.fromEntries((parseKeywordDsn(site.text) ?? []).map((t) => [t.key, t.value]));
  if (site.kind === 'service')
    return Object.fromEntries(
      site.text
        .split('\n')
        .map((l) => /^\s*([a-z_]+)\s*=\s*(.*?)\s*$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
  return {};
}

/** The hosts a site dials: a URI's authority and host= parameter, a keyword host/hostaddr, a service's host. Socket directories are left out. */
export function siteHosts(site: Site): string[] {
  const p = siteParams(site);
  const out: string[] = [];
  if (site.kind === 'uri') {
    const m = /^postgres(?:ql)?:\/\/(?:[^@/?#]*@)?([^/?#]*)/.exec(site.text);
    for (const h of (m?.[1] ?? '').split(',')) {
      const host = decodeURIComponent(h.replace(/:\d*$/, '').replace(/^\[(.*)\]$/, '$1'));
      if (host) out.push(host);
    }
  }
  for (const k of ['host', 'hostaddr']) for (const h of (p[k] ?? '').split(',')) if (h) out.push(h);
  if (site.kind === 'service' && site.host) out.push(site.host);
  return [...new Set(out.filter((h) => !h.startsWith('/') && !h.startsWith('@')))];
}

/**
 * A consumer file moved to its new role (user and password) and, when `params` are given, to
 * libpq's TLS parameters in the same text: what a hardening plan with the spec's tls section
 * writes in one step, and what plan, review and apply all compute alike.
 */
export function rewriteWithParams(
  file: string,
  text: string,
  to: { key?: string; format?: string; user: string; password: string; params?: Record<string, string> },
): string {
  const { params, ...target } = to;
  const rewritten = rewriteSite(file, text, target);
  if (!params) return rewritten;
  return withConsumerParams(
    file,
    rewritten,
    { ...(to.key ? { key: to.key } : {}), ...(to.format ? { format: to.format } : {}) },
    params,
  );
}
