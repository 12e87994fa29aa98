/**
 * A consumer file as a review may show it: every value that can be a password replaced by
 * `<redacted>`. A review's diff of a consumer file shows the old connection string and three lines
 * of context on each side, and those can hold the old password or another service's secret
 * (`REDIS_PASSWORD=…`); the new password is also removed by `redactSecrets`, but that one knows
 * only the plan's own passwords. Redacting too much in a review costs a reader nothing; too little
 * prints a secret.
 */
import { basename } from 'node:path';

const R = '<redacted>';

/** `scheme://user:password@`: the userinfo's password. */
const URI_PASSWORD = /(postgres(?:ql)?:\/\/[^:@/?#\s]*):[^@/?#\s]*@/gi;
/** `?password=…` / `&password=…` in a URI's query. */
const QUERY_PASSWORD = /([?&]password=)[^&#\s'"]*/gi;
/** libpq's keyword/value `password=…`, quoted or not. */
const KEYWORD_PASSWORD = /(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'"]+)/gi;
/** `"…password…": "…"` in JSON. */
const JSON_SECRET = /("[^"\n]*(?:pass|secret|token|key)[^"\n]*"\s*:\s*)"(?:[^"\\\n]|\\.)*"/gi;
/** A line `NAME=value` / `name: value` / `name = value` whose name says it holds a secret. */
const NAMED_SECRET =
  /^(\s*(?:export\s+)?["']?(?=[A-Za-z_])[\w.-]*?(?:pass|pwd|secret|token|key)[\w.-]*["']?\s*[=:]\s*)(?!\s*$)(.*)$/gim;

/** One `.pgpass` line with its fifth field (the password) redacted; comments as they are. */
function pgpassLine(line: string): string {
  if (/^\s*(#|$)/.test(line)) return line;
  let colons = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === ':' && ++colons === 4) return `${line.slice(0, i + 1)}${R}`;
  }
  return line;
}

/** The text with every value that may be a password replaced by `<redacted>`. */
export function redactPasswords(text: string, file: string, format?: string): string {
  if (format === 'pgpass' || (!format && /^\.?pgpass$/.test(basename(file)))) {
    return text.split('\n').map(pgpassLine).join('\n');
  }
  return text
    .replace(URI_PASSWORD, `$1:${R}@`)
    .replace(QUERY_PASSWORD, `$1${R}`)
    .replace(KEYWORD_PASSWORD, `$1${R}`)
    .replace(JSON_SECRET, `$1"${R}"`)
    .replace(NAMED_SECRET, `$1${R}`);
}
