import { inspectConf, type ConfRow } from '../index.js';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { CliError, EXIT } from './usage-errors.js';
import { paint, table, type Output } from '../render/output.js';
import { inspectOptions } from './target.js';

const HELP = `pgharden inspect conf — read postgresql.conf exactly as PostgreSQL does

Usage: pgharden inspect conf [FILE] [--json] [--dsn URL]

Follows include, include_if_exists and include_dir in the server's order, then
postgresql.auto.conf, and prints every entry with the fields of the pg_file_settings view
(sourcefile, sourceline, seqno, name, setting, applied, error).

Without FILE, connects (--dsn, else the libpq environment) and reads the server's own
config_file; values are then judged against the server's parameters as the view judges them
(unknown names, invalid values, restart-only changes). With FILE and no server, only the
syntax and the includes are checked, and "applied" is null.

Exit codes: 0 no errors; 1 some entry has an error (a reload would apply nothing, a restart
may fail); 2 usage error or unreadable file.

Examples:
  sudo -u postgres pgharden inspect conf
  pgharden inspect conf /etc/postgresql/15/main/postgresql.conf --json | jq '.[] | select(.name == "listen_addresses")'
`;

function render(rows: ConfRow[], o: Output): string {
  const settings = rows.filter((r) => r.name !== null);
  const lines = [
    table([
      ['FILE:LINE', 'NAME', 'SETTING', 'APPLIED'],
      ...settings.map((r) => [
        `${r.sourcefile}:${r.sourceline}`,
        r.name!,
        r.setting ?? '',
        r.applied === null ? '?' : r.applied ? 'yes' : 'no',
      ]),
    ]),
  ];
  for (const r of rows.filter((x) => x.error !== null)) {
    lines.push(
      `${paint(o, 'red', 'error')} ${r.sourcefile ?? '(server)'}${r.sourceline ? `:${r.sourceline}` : ''}: ${r.name ? `${r.name}: ` : ''}${r.error}`,
    );
  }
  return lines.join('\n');
}

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      { json: { type: 'boolean' }, ...CONNECTION_FLAGS },
      'inspect conf',
    );
    if (positionals.length > 1)
      throw new CliError(
        `inspect conf takes one FILE, got ${positionals.length}`,
        EXIT.usage,
        'pgharden inspect conf --help',
      );
    const { rows, judged } = await inspectConf(inspectOptions({ file: positionals[0], ...connectionFrom(values) }));
    if (!judged)
      o.err(
        'note: no server connected: syntax and includes checked, values not judged (pass --dsn to judge them as the server does)',
      );
    o.out(values.json ? JSON.stringify(rows, null, 2) : render(rows, o));
    return rows.some((r) => r.error !== null) ? EXIT.findings : EXIT.ok;
  },
};
