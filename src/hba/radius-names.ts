/**
 * RADIUS server names, resolved as the server resolves them while it parses pg_hba.conf. hba.c
 * looks up every name of a `radiusservers` option (pg_getaddrinfo_all) the moment it reads the
 * option; a name that does not resolve fails the line there, before any later option and before
 * the checks on the lists' lengths. The failure is only logged: pg_hba_file_rules shows the line
 * as a row of nulls with no error (or with the warning its connection type had already recorded),
 * a reload keeps the old rules and a restart refuses to start.
 * The parser is synchronous and offline, so this is a pass over its result, with the resolver.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ServerContext } from '../conf/context.js';
import type { ErrorLine, HbaLine, RecordLine } from '../conf/hba-types.js';
import { lexFields, logicalLines } from '../conf/hba-lexer.js';
import { typeWarning } from '../conf/hba-record.js';
import { hbaRow } from '../conf/hba-rows.js';
import type { LoadedHba } from '../conf/load-hba.js';

/** getaddrinfo for one name: undefined when it resolves, else gai_strerror's text. */
export type RadiusResolver = (name: string) => Promise<string | undefined>;

/** The system resolver (getaddrinfo through libc, as the server's pg_getaddrinfo_all). */
export const systemResolver: RadiusResolver = (name) =>
  lookup(name, { all: true }).then(
    (a) => (a.length ? undefined : 'No address associated with hostname'),
    (err: NodeJS.ErrnoException) =>
      err.code === 'ENOTFOUND'
        ? 'Name or service not known'
        : err.code === 'EAI_AGAIN'
          ? 'Temporary failure in name resolution'
          : (err.code ?? err.message),
  );

/** The `radiusservers` values the server reads before it stops on this line, in order. */
function serversRead(l: RecordLine | ErrorLine): string[] {
  if (l.kind === 'record' || l.rule)
    return l.rule!.method === 'radius'
      ? l.rule!.options.filter((o) => o.name === 'radiusservers').map((o) => o.value)
      : [];
  // An error line: options before the failing one (its column), or all of them when the line
  // failed only the radius checks made after every option was read.
  const all = l.column === undefined && /RADIUS|"radius"/.test(l.error);
  if (!l.raw.includes('radiusservers') || (!all && l.column === undefined)) return [];
  const text = logicalLines(l.raw)[0]?.text ?? '';
  const fields = lexFields(text);
  const method = fields.findIndex((f) => f.length === 1 && !f[0]!.quoted && f[0]!.value === 'radius');
  if (method < 0) return [];
  return fields
    .slice(method + 1)
    .flat()
    .filter((t) => t.value.startsWith('radiusservers=') && (all || t.offset < l.column! - 1))
    .map((t) => t.value.slice('radiusservers='.length));
}

/** A comma list as SplitGUCList reads it: blanks around names dropped, double quotes removed. */
const names = (value: string) =>
  value
    .split(',')
    .map((n) => n.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);

/** What resolving changed: the loaded files as the server reads them, and what was looked up. */
export interface RadiusPass {
  loaded: LoadedHba;
  /** Every host name looked up (IP addresses need no lookup). */
  looked: string[];
  /** file:line of each line that fails on a name. */
  failed: string[];
}

/** Resolves every RADIUS server name the server would, and fails the lines the server fails. */
export async function resolveRadiusNames(
  loaded: LoadedHba,
  ctx: ServerContext,
  resolve: RadiusResolver = systemResolver,
): Promise<RadiusPass> {
  const answers = new Map<string, Promise<string | undefined>>();
  const ask = (n: string) =>
    answers.get(n) ?? answers.set(n, isIP(n) ? Promise.resolve(undefined) : resolve(n)).get(n)!;
  const replaced = new Map<string, ErrorLine>();
  const files = new Map(loaded.files);
  for (const [file, entry] of loaded.files) {
    const lines: HbaLine[] = [];
    for (const l of entry.lines) {
      const servers = l.kind === 'record' || l.kind === 'error' ? serversRead(l).flatMap(names) : [];
      let failure: string | undefined;
      for (const n of servers) {
        const why = await ask(n);
        if (why !== undefined) {
          failure = `could not translate RADIUS server name "${n}" to address: ${why}`;
          break;
        }
      }
      if (failure === undefined) {
        lines.push(l);
        continue;
      }
      // The view shows what hba.c had recorded before the name failed: a connection type this
      // server cannot match (hostssl with ssl off, hostgssenc without GSSAPI), else nothing.
      const type = lexFields(logicalLines(l.raw)[0]?.text ?? '')[0]?.[0]?.value ?? '';
      const failed: ErrorLine = {
        kind: 'error',
        line: l.line,
        raw: l.raw,
        error: failure,
        viewError: typeWarning(type, ctx) ?? null,
      };
      replaced.set(`${file}:${l.line}`, failed);
      lines.push(failed);
    }
    if (replaced.size) files.set(file, { ...entry, lines });
  }
  const looked = [...answers.keys()].filter((n) => !isIP(n));
  if (!replaced.size) return { loaded, looked, failed: [] };
  const key = (file: string, line: number) => `${file}:${line}`;
  return {
    loaded: {
      files,
      rows: loaded.rows.map((r) => {
        const l = replaced.get(key(r.file, r.line_number));
        return l ? hbaRow(l, r.file, ctx) : r;
      }),
      rules: loaded.rules.filter((r) => !replaced.has(key(r.file, r.line))),
    },
    looked,
    failed: [...replaced.keys()],
  };
}
