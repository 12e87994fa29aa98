import { inspectWho, parseIp, type WhoAnswer } from '../index.js';
import { CONNECTION_FLAGS, verb } from './command.js';
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

With a server connected, it also says what the server answers first once the rule has matched,
before any password is sent (as the server decides it from the role's stored password and
password_encryption: an md5 rule asks for SCRAM when the password is stored as SCRAM), and for a
peer or ident rule with map=NAME, which system users the server's pg_ident.conf lets in as the role.

--json always prints one document:
  {"match": {"file", "line_number", "auth_method"} | null,
   "undecided": {"file", "line_number", "reason"} | null,
   "answer": {"first": "ok"|"sasl"|"md5"|"password"|"gss"|"sspi"|"reject"|"fails",
              "stored_password", "password_encryption", "ident_map": {"name", "file"} | null,
              "system_users": [{"system_user", "line_number", "pattern"}] | null} | null}
"match" null and "undecided" null: no rule matches, the server refuses the connection.
"answer" null: no server connected, no match, or a fact it rests on could not be read (said on
stderr). For peer/ident, "first" is the answer to a system user in "system_users"; any other
system user gets "fails".
Exit codes: 0 answered (a match or none); 1 undecided: a rule before the match needs facts
pgharden does not have (host names need DNS, samehost/samenet the server's interfaces); 2 usage error.

Examples:
  pgharden inspect who --user postgres --db workspace --from 10.8.0.23
  pgharden inspect who --user app --db shop --from local /etc/postgresql/16/main/pg_hba.conf --json
  pgharden inspect who --user report --db shop --from 192.168.1.7 --ssl --dsn postgres://postgres@db1/postgres
`;

export const command = verb({
  name: 'inspect who',
  help: HELP,
  flags: {
    user: { type: 'string' },
    db: { type: 'string' },
    from: { type: 'string' },
    ssl: { type: 'boolean' },
    json: { type: 'boolean' },
    ...CONNECTION_FLAGS,
    'pg-version': { type: 'string' },
    'no-resolve': { type: 'boolean' },
  },
  async run({ values, positionals, o, connection, usage }) {
    const missing = (['user', 'db', 'from'] as const).filter((k) => values[k] === undefined);
    if (missing.length)
      throw new CliError(
        `inspect who needs ${missing.map((k) => `--${k}`).join(', ')}`,
        EXIT.usage,
        'pgharden inspect who --help',
      );
    const from = values.from!;
    if (from !== 'local' && !parseIp(from)) throw usage(`--from "${from}" is neither "local" nor a numeric IP address`);

    const { result, answer, notes } = await inspectWho({
      ...inspectOptions({
        file: positionals[0],
        ...connection(),
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
      o.out(JSON.stringify({ match, undecided, answer: answerJson(answer) }));
    } else if (match) {
      o.out(
        `${values.user}@${values.db} from ${from}${values.ssl ? ' (ssl)' : ''}: ${match.file}:${match.line_number} → ${match.auth_method}`,
      );
      if (answer) o.out(answerText(answer, values.user!));
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
});

function answerJson(a: WhoAnswer | null) {
  if (!a) return null;
  return {
    first: a.first,
    stored_password: a.storedPassword,
    password_encryption: a.passwordEncryption,
    ident_map: a.identMap,
    system_users:
      a.systemUsers?.map((u) => ({ system_user: u.systemUser, line_number: u.line, pattern: u.pattern })) ?? null,
  };
}

const FIRST: Record<WhoAnswer['first'], string> = {
  ok: 'lets the connection in, no password asked',
  sasl: 'asks for a SCRAM-SHA-256 exchange',
  md5: 'asks for an MD5-hashed password',
  password: 'asks for the password in clear text',
  gss: 'starts GSSAPI authentication',
  sspi: 'starts SSPI authentication',
  reject: 'rejects the connection',
  fails: 'ends the attempt (authentication fails)',
};

/** The first answer in words: for peer/ident, to which system users. */
function answerText(a: WhoAnswer, user: string): string {
  const stored = `password stored as ${a.storedPassword}, password_encryption ${a.passwordEncryption}`;
  if (!a.systemUsers) return `  first answer: the server ${FIRST[a.first]} (${stored})`;
  const who = a.systemUsers
    .map(
      (u) =>
        `${u.pattern ? 'any OS user matching ' : ''}"${u.systemUser}"${u.line === null ? '' : ` (line ${u.line})`}`,
    )
    .join(', ');
  const via = a.identMap ? ` by map "${a.identMap.name}" in ${a.identMap.file}` : '';
  if (!a.systemUsers.length)
    return `  first answer: the server ${FIRST.fails}: no system user is let in as "${user}"${via}`;
  if (a.first === 'fails')
    return `  first answer: the server asks the client's ident server (port 113) for the OS user, and ${FIRST.fails} unless it names ${who}, let in as "${user}"${via}`;
  return `  first answer: the server ${FIRST[a.first]} for OS user ${who}, let in as "${user}"${via}; any other OS user: it ${FIRST.fails}`;
}
