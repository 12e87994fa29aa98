/**
 * The two client files libpq reads itself: `.pgpass` (`hostname:port:database:username:password`,
 * `\:` and `\\` escaped, `*` a wildcard, `#` comments) and `pg_service.conf` (`[service]` then
 * `key=value` lines). Each is edited in place: only the user and password change.
 */
import type { Site } from './edit.js';

/** Splits a .pgpass line into its five fields (escapes undone); undefined when it has fewer. */
export function pgpassFields(line: string): string[] | undefined {
  const fields: string[] = [''];
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    const last = fields.length - 1;
    if (ch === '\\' && i + 1 < line.length) fields[last] = fields[last]! + line[++i]!;
    else if (ch === ':' && fields.length < 5) fields.push('');
    else fields[last] = fields[last]! + ch;
  }
  return fields.length === 5 ? fields : undefined;
}

const escapePgpass = (v: string) => v.replace(/[\\:]/g, (c) => `\\${c}`);

export function pgpassSites(text: string): Site[] {
  const out: Site[] = [];
  let at = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const f = line.trim().startsWith('#') ? undefined : pgpassFields(line);
    if (f) {
      out.push({
        kind: 'pgpass',
        key: `${f[0]}:${f[1]}:${f[2]}`,
        line: i + 1,
        start: at,
        end: at + line.length,
        text: line,
        user: f[3]!,
        database: f[2] === '*' ? null : f[2]!,
        password: f[4]!,
        host: f[0] === '*' ? null : f[0]!,
        port: f[1] === '*' ? null : Number(f[1]),
      });
    }
    at += raw.length + 1;
  });
  return out;
}

export function rewritePgpass(text: string, site: Site, user: string, password: string): string {
  const f = pgpassFields(site.text)!;
  const line = `${[f[0], f[1], f[2]].map((x) => escapePgpass(x!)).join(':')}:${escapePgpass(user)}:${escapePgpass(password)}`;
  return text.slice(0, site.start) + line + text.slice(site.end);
}

export function serviceSites(text: string): Site[] {
  const out: Site[] = [];
  const lines = text.split('\n');
  let at = 0;
  let current: Site | undefined;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = {
        kind: 'service',
        key: section[1]!,
        line: i + 1,
        start: at + raw.length + 1,
        end: at + raw.length + 1,
        text: '',
        user: null,
        database: null,
        password: null,
        host: null,
        port: null,
      };
      out.push(current);
    } else if (current) {
      current.end = at + raw.length + (i < lines.length - 1 ? 1 : 0);
      current.text = text.slice(current.start, current.end);
      const kv = /^([a-z_]+)\s*=\s*(.*)$/.exec(line);
      if (kv && kv[1] === 'user') current.user = kv[2]!;
      if (kv && kv[1] === 'dbname') current.database = kv[2]!;
      if (kv && kv[1] === 'password') current.password = kv[2]!;
      if (kv && kv[1] === 'host') current.host = kv[2]!;
      if (kv && kv[1] === 'port') current.port = Number(kv[2]);
    }
    at += raw.length + 1;
  });
  return out;
}

export function rewriteService(text: string, site: Site, user: string, password: string): string {
  return withServiceKeys(text, site, [
    ['user', user],
    ['password', password],
  ]);
}

/** The service's section with each `key=value` set: replaced where present, else added after its user line. */
export function withServiceKeys(text: string, site: Site, entries: [string, string][]): string {
  // Lines split on \n keep their \r, so CRLF files stay CRLF.
  const lines = site.text.split('\n');
  const find = (key: string) => lines.findIndex((l) => new RegExp(`^\\s*${key}\\s*=`).test(l));
  const set = (key: string, value: string) => {
    const i = find(key);
    if (i >= 0) {
      lines[i] = lines[i]!.replace(
        new RegExp(`^(\\s*${key}\\s*=\\s*).*?(\\r?)$`),
        (_, head: string, cr: string) => `${head}${value}${cr}`,
      );
      return;
    }
    // After the user line, else after the section's last non-blank line.
    let at = find('user');
    if (at < 0)
      for (let j = lines.length - 1; j >= 0; j--)
        if (lines[j]!.trim() !== '') {
          at = j;
          break;
        }
    const cr = at >= 0 && lines[at]!.endsWith('\r') ? '\r' : '';
    lines.splice(at + 1, 0, `${key}=${value}${cr}`);
  };
  for (const [k, v] of entries) set(k, v);
  return text.slice(0, site.start) + lines.join('\n') + text.slice(site.end);
}
