import { existsSync } from 'node:fs';
import { parseFlags, type Command } from './command.js';
import { scanConsumers } from '../index.js';
import { CliError, EXIT } from './usage-errors.js';
import { table } from '../render/output.js';

const HELP = `pgharden consumers --scan — where connection strings live, to help write the spec

Usage: pgharden consumers --scan DIR [DIR...] [--json]

Walks the directories (not into .git or node_modules; at most 6 levels; text files under 1 MB)
and lists every connection string with its file, line, key, user and database: postgres:// URIs,
libpq keyword/value strings (host=... user=... dbname=...) as a key's value in .env, INI, JSON,
YAML and TOML files, .pgpass lines and pg_service.conf sections; and every PG* variable
(PGHOST, PGUSER, PGPASSWORD, ...). Passwords are shown as <redacted>.
--json prints {"schemaVersion": 1, "found": [{"file", "line", "key", "kind", "user", "database", "shown"}]}.

Examples:
  pgharden consumers --scan /srv /etc/systemd/system
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      { scan: { type: 'boolean' }, json: { type: 'boolean' } },
      'consumers',
    );
    if (!values.scan || positionals.length === 0)
      throw new CliError('consumers needs --scan and at least one directory', EXIT.usage, 'pgharden consumers --help');
    for (const dir of positionals) {
      // A directory that is not there is a typo, not "nothing found".
      if (!existsSync(dir))
        throw new CliError(
          `Cannot scan "${dir}": no such file or directory`,
          EXIT.usage,
          'check the path: pgharden consumers --scan DIR...',
        );
    }
    const found = await scanConsumers(positionals);
    if (values.json) o.out(JSON.stringify({ schemaVersion: 1, found }, null, 2));
    else if (found.length === 0) o.out(`No connection strings found under ${positionals.join(', ')}.`);
    else
      o.out(
        table([
          ['FILE:LINE', 'KEY', 'USER', 'DATABASE', 'VALUE'],
          ...found.map((f) => [`${f.file}:${f.line}`, f.key ?? '', f.user ?? '', f.database ?? '', f.shown]),
        ]),
      );
    return EXIT.ok;
  },
};
