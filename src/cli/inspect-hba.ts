import { inspectHba, maskPrefixLength, parseIp, type HbaFileRuleRow } from '../index.js';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { CliError, EXIT } from './usage-errors.js';
import { prettyJsonChunks } from '../render/json-rows.js';
import { paint, table, type Output } from '../render/output.js';
import { inspectOptions } from './target.js';

const HELP = `pgharden inspect hba — parse pg_hba.conf exactly as PostgreSQL does

Usage: pgharden inspect hba [FILE] [--json] [--pg-version N] [--ssl on|off] [--dsn URL] [--no-resolve]

Prints every rule in the order PostgreSQL checks them, following include, include_if_exists and
include_dir (16+) and @file lists, and every line the server would reject, with file, line and
PostgreSQL's own message. With --json: one object per rule line, with the fields and values of the
pg_hba_file_rules view (file, line_number, type, database, user_name, address, netmask,
auth_method, options, error).

RADIUS server names (radiusservers) are looked up with this machine's resolver, as the server
looks them up while it parses: a name that does not resolve fails its line (the view shows a row
of nulls with no error; a reload keeps the old rules). --no-resolve stays offline: names are taken
to resolve, and a note on stderr (also with --json) names them.

With FILE, a server named by --dsn or the libpq environment (PGHOST, PGPORT, PGSERVICE…) judges it.
Without FILE, connects (--dsn, else PGHOST/PGPORT/PGUSER/PGDATABASE/PGSERVICE) and reads the
file the server uses (SHOW hba_file), judged as that server would (major, ssl, build options).
With FILE and no server, lines are judged as PostgreSQL 18 with ssl on unless --pg-version and
--ssl say otherwise.

Exit codes: 0 every line is valid; 1 some line is an error (a restart would fail, a reload
would keep the old rules); 2 usage error or unreadable file.

Examples:
  pgharden inspect hba /etc/postgresql/15/main/pg_hba.conf --pg-version 15 --ssl off
  sudo -u postgres pgharden inspect hba --json | jq '.[] | select(.auth_method == "trust")'
  PGHOST=/var/run/postgresql pgharden inspect hba
`;

function list(values: string[] | null): string {
  return values === null ? '' : values.join(',');
}

/** `10.0.0.0/8` when the netmask is a prefix, else `address netmask` as written in the file. */
function showAddress(r: HbaFileRuleRow): string {
  if (r.address === null) return '';
  if (r.netmask === null) return r.address;
  const mask = parseIp(r.netmask);
  const bits = mask ? maskPrefixLength(mask) : null;
  return bits === null ? `${r.address} ${r.netmask}` : `${r.address}/${bits}`;
}

/** A line the server does not take: an error, or a row of nulls (the error only in its log). */
const failed = (r: HbaFileRuleRow) => r.error !== null || r.type === null;

/** The human report: a table of rules, then the error lines as file:line: message. */
export function renderHbaReport(
  rows: HbaFileRuleRow[],
  o: Output,
  columns: Map<string, number> = new Map(),
  logged: Map<string, string> = new Map(),
): string {
  const header = ['FILE:LINE', 'TYPE', 'DATABASE', 'USER', 'ADDRESS', 'METHOD', 'OPTIONS'];
  const rules = rows.filter((r) => !failed(r));
  const errors = rows.filter(failed);
  const cells = rules.map((r) => [
    `${r.file}:${r.line_number}`,
    r.type ?? '',
    list(r.database),
    list(r.user_name),
    showAddress(r),
    r.auth_method ?? '',
    list(r.options),
  ]);
  const lines = [rules.length ? table([header, ...cells]) : 'No valid rules: every connection would be refused.'];
  for (const e of errors) {
    const col = columns.get(`${e.file}:${e.line_number}`);
    // A row of nulls without an error: the server fails the line and says why only in its log.
    const message =
      e.error ??
      `${logged.get(`${e.file}:${e.line_number}`) ?? 'the server fails this line'} (only in the server log: pg_hba_file_rules shows an empty row)`;
    lines.push(`${paint(o, 'red', 'error')} ${e.file}:${e.line_number}${col ? `:${col}` : ''}: ${message}`);
  }
  lines.push(
    `${rules.length} rule${rules.length === 1 ? '' : 's'}` +
      (errors.length
        ? `, ${errors.length} error line${errors.length === 1 ? '' : 's'}: a restart with this file would fail and a reload would keep the old rules.`
        : '.'),
  );
  return lines.join('\n');
}

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      {
        json: { type: 'boolean' },
        'pg-version': { type: 'string' },
        ssl: { type: 'string' },
        'no-resolve': { type: 'boolean' },
        ...CONNECTION_FLAGS,
      },
      'inspect hba',
    );
    if (positionals.length > 1)
      throw new CliError(
        `inspect hba takes one FILE, got ${positionals.length}`,
        EXIT.usage,
        'pgharden inspect hba --help',
      );
    const { rows, columns, logged, notes } = await inspectHba({
      ...inspectOptions({
        file: positionals[0],
        ...connectionFrom(values),
        pgVersion: values['pg-version'],
        ssl: values.ssl,
      }),
      resolve: !values['no-resolve'],
    });
    for (const note of notes) o.err(`note: ${note}`);
    if (values.json) for (const chunk of prettyJsonChunks(rows)) o.out(chunk);
    else o.out(renderHbaReport(rows, o, columns, logged));
    return rows.some(failed) ? EXIT.findings : EXIT.ok;
  },
};
