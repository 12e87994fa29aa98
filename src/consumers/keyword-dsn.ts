/**
 * libpq's keyword/value connection strings (`host=db port=5432 dbname=shop user=app
 * password='it''s'`): read as libpq reads them (values optionally single-quoted, `\` escapes
 * inside and outside quotes, blanks around `=`), and edited in place: only the user and password
 * tokens change (added at the end when absent), every other byte stays.
 */

export interface KeywordToken {
  key: string;
  value: string;
  /** Offsets of the whole `key=value` token in the text. */
  start: number;
  end: number;
}

/** The tokens, or undefined when the text is not a keyword/value string. */
export function parseKeywordDsn(text: string): KeywordToken[] | undefined {
  const out: KeywordToken[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i]!)) i++;
    if (i >= n) break;
    const start = i;
    const k = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (!k) return undefined;
    i += k[0].length;
    while (i < n && /\s/.test(text[i]!)) i++;
    if (text[i] !== '=') return undefined;
    i++;
    while (i < n && /\s/.test(text[i]!)) i++;
    let value = '';
    if (text[i] === "'") {
      i++;
      for (; i < n && text[i] !== "'"; i++) value += text[i] === '\\' && i + 1 < n ? text[++i] : text[i];
      if (text[i] !== "'") return undefined;
      i++;
    } else {
      for (; i < n && !/\s/.test(text[i]!); i++) value += text[i] === '\\' && i + 1 < n ? text[++i] : text[i];
    }
    out.push({ key: k[0], value, start, end: i });
  }
  return out.length ? out : undefined;
}

/** A keyword/value DSN names at least a host, a database or a user (plain `a=b` text is not one). */
export function isKeywordDsn(text: string): boolean {
  const t = parseKeywordDsn(text);
  return t?.some((x) => x.key === 'host' || x.key === 'dbname' || x.key === 'user' || x.key === 'hostaddr') ?? false;
}

/** A value as libpq needs it: quoted only when empty or holding blanks, quotes or backslashes. */
export function keywordValue(v: string): string {
  return v === '' || /[\s'\\]/.test(v) ? `'${v.replace(/[\\']/g, (c) => `\\${c}`)}'` : v;
}

/** The DSN with user and password replaced (or appended), everything else as it was. */
export function withKeywordCredentials(text: string, user: string, password: string): string {
  let out = text;
  const set = (key: string, value: string) => {
    const t = parseKeywordDsn(out)!
      .filter((x) => x.key === key)
      .at(-1);
    const token = `${key}=${keywordValue(value)}`;
    out = t
      ? out.slice(0, t.start) + token + out.slice(t.end)
      : `${out.replace(/\s+$/, '')} ${token}${out.slice(out.replace(/\s+$/, '').length)}`;
  };
  set('user', user);
  set('password', password);
  return out;
}

/** The keywords as a node-postgres client configuration (for checking that the DSN logs in). */
export function keywordConfig(text: string): Record<string, string | number> {
  const m = Object.fromEntries((parseKeywordDsn(text) ?? []).map((t) => [t.key, t.value]));
  return {
    ...(m.host ? { host: m.host } : {}),
    ...(m.port ? { port: Number(m.port) } : {}),
    ...(m.dbname ? { database: m.dbname } : {}),
    ...(m.user ? { user: m.user } : {}),
    ...(m.password !== undefined ? { password: m.password } : {}),
    ...(m.application_name ? { application_name: m.application_name } : {}),
  };
}
