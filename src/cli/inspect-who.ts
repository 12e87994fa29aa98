import { inspectWho, parseIp } from '../index.js';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { CliError, EXIT } from './usage-errors.js';
import { inspectOptions } from './target.js';

const HELP = `pgharden inspect who — which pg_hba.conf rule a connection hits, and its method

Usage: pgharden inspect who --user U --db D --from ADDR|local [--ssl] [FILE] [--json] [--dsn URL] [--no-resolve]

Walks the rules in PostgreSQL's order (first match wins), following includes, exactly as the
server's check_hba does: connection type (local, host, hostssl/hostnossl), source address,
database (all, sameuser, samerole, replication, names, /regex) and user (all, +group, names,
/regex). With a server connection (no FILE, --dsn, or the libpq environment: PGHOST, PGPORT,
PGUSER, PGSERVICE, PGCLUSTER…), role memberships for +group and samerole come from the server;
without one, a user is taken to be a member of no group (said on stderr). samehost and samenet
are decided from this machine's interface addresses and netmasks when pgharden runs on the
server's host (connected over its Unix socket or loopback, or its postmaster.pid is here);
otherwise the answer is "undecided", with the reason. A radius line whose RADIUS server name
does not resolve is passed over, as the server fails it (--no-resolve: names taken to resolve).

--json always prints one document:
  {"match": {"file", "line_number", "auth_method"} | null,
   "undecided": {"file", "line_number", "reason"} | null}
"match" null and "undecided" null: no rule matches, the server refuses the connection.
Exit codes: 0 answered (a match or none); 1 undecided: a rule before the match needs facts
pgharden does not have (host names need DNS, samehost/samenet the server's interfaces); 2 usage error.

Examples:
  pgharden inspect who --user postgres --db workspace --from 10.8.0.23
  pgharden inspect who --user app --db shop --from local /etc/postgresql/16/main/pg_hba.conf --json
  pgharden inspect who --user report --db shop --from 192.168.1.7 --ssl --dsn postgres://postgres@db1/postgres
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      {
        user: { type: 'string' },
        db: { type: 'string' },
        from: { type: 'string' },
        ssl: { type: 'boolean' },
        json: { type: 'boolean' },
        ...CONNECTION_FLAGS,
        'pg-version': { type: 'string' },
        'no-resolve': { type: 'boolean' },
      },
      'inspect who',
    );
    const missing = (['user', 'db', 'from'] as const).filter((k) => values[k] === undefined);
    if (missing.length)
      throw new CliError(
        `inspect who needs ${missing.map((k) => `--${k}`).join(', ')}`,
        EXIT.usage,
        'pgharden inspect who --help',
      );
    const from = values.from!;
    if (from !== 'local' && !parseIp(from))
      throw new CliError(
        `--from "${from}" is neither "local" nor a numeric IP address`,
        EXIT.usage,
        'pgharden inspect who --help',
      );

    const { result, notes } = await inspectWho({
      ...inspectOptions({
        file: positionals[0],
        ...connectionFrom(values),
        pgVersion: values['pg-version'],
      }),
      resolve: !values['no-resolve'],
      user: values.user!,
      database: values.db!,
      from: from === 'local' ? { kind: 'local' } : { kind: 'host', address: from, ssl: values.ssl ?? false },
    });
    for (const note of notes) o.err(`note: ${note}`);
    const match =
      result.kind === 'match' ? { file: result.file, line_number: result.line, auth_method: result.method } : null;
    const undecided =
      result.kind === 'undecided' ? { file: result.file, line_number: result.line, reason: result.reason } : null;
    if (values.json) {
      o.out(JSON.stringify({ match, undecided }));
    } else if (match) {
      o.out(
        `${values.user}@${values.db} from ${from}${values.ssl ? ' (ssl)' : ''}: ${match.file}:${match.line_number} → ${match.auth_method}`,
      );
    } else if (!undecided) {
      o.out(
        `${values.user}@${values.db} from ${from}: no pg_hba.conf entry matches; the server refuses the connection`,
      );
    }
    if (undecided) {
      o.err(
        `pgharden: cannot decide: ${undecided.file}:${undecided.line_number} needs facts pgharden does not have (${undecided.reason})`,
      );
      return EXIT.findings;
    }
    return EXIT.ok;
  },
};
