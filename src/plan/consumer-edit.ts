/**
 * Interim consumer-file editing for the planner: finds `postgres://` URIs in any text file and
 * replaces the user and password of one of them in place, every other byte kept. The full
 * per-format module (src/consumers/) replaces this once it lands.
 */

/** A connection URI in a file. */
export interface UriSite {
  /** The variable or key on its line (`DATABASE_URL`, `url`), when there is one. */
  key: string | null;
  line: number;
  start: number;
  end: number;
  uri: string;
}

export class ConsumerFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsumerFileError';
  }
}

const URI = /postgres(?:ql)?:\/\/[^\s"'`<>]*/g;

export function findUris(text: string): UriSite[] {
  const out: UriSite[] = [];
  for (const m of text.matchAll(URI)) {
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    const before = text.slice(lineStart, m.index);
    const key = /(?:^|\s)(?:export\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*["']?$/.exec(before)?.[1] ?? null;
    out.push({ key, line: text.slice(0, m.index).split('\n').length, start: m.index, end: m.index + m[0].length, uri: m[0] });
  }
  return out;
}

/** The URI's user (percent-decoded) and database. */
export function uriParts(uri: string): { user: string | null; database: string | null } {
  const m = /^postgres(?:ql)?:\/\/(?:([^@/?#]*)@)?[^/?#]*(?:\/([^?#]*))?/.exec(uri);
  const user = m?.[1] ? decodeURIComponent(m[1].split(':')[0]!) : null;
  return { user: user || null, database: m?.[2] ? decodeURIComponent(m[2]) : null };
}

/** The one site to rewrite: by key, or the only one. */
export function chooseSite(file: string, text: string, key?: string): UriSite {
  const sites = findUris(text).filter((s) => key === undefined || s.key === key);
  if (sites.length === 0) {
    throw new ConsumerFileError(`No connection string found in "${file}"${key ? ` under "${key}"` : ''} (looked for a postgres:// URI); check "file" and "key" in the spec`);
  }
  if (sites.length > 1) {
    throw new ConsumerFileError(`"${file}" has ${sites.length} connection strings (${sites.map((s) => `line ${s.line}${s.key ? ` ${s.key}` : ''}`).join(', ')}); set "key" in the spec to one of them`);
  }
  return sites[0]!;
}

/** The file with the chosen URI's user and password replaced. */
export function rewriteUri(file: string, text: string, target: { key?: string; user: string; password: string }): string {
  const site = chooseSite(file, text, target.key);
  const m = /^(postgres(?:ql)?:\/\/)(?:[^@/?#]*@)?(.*)$/s.exec(site.uri)!;
  const uri = `${m[1]}${encodeURIComponent(target.user)}:${encodeURIComponent(target.password)}@${m[2]}`;
  return text.slice(0, site.start) + uri + text.slice(site.end);
}
