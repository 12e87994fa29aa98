import { basename, extname, join } from 'node:path';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import {
  parseSpec,
  plan as makePlan,
  readCapped,
  review as reviewPlan,
  UnreadableFileError,
  VERSION,
} from '../index.js';
import { CliError, EXIT } from './errors.js';
import { paint } from '../render/output.js';
import { printReview } from './review.js';

const HELP = `pgharden plan — the ordered hardening plan, saved, bound to its cluster, and reviewed

Usage: pgharden plan --spec harden.yaml [--out plans/NAME] [--dsn URL | --cluster VERSION/NAME] [--json] [--skip-backup]

Reads the spec (target, trusted ranges, roles from templates, consumers and their files),
audits the live cluster read-only, and writes plans/NAME/ (0700):
  plan.json    the steps of every stage (preflight, roles, canary, consumers, flip, verify),
               canonical JSON whose id is its sha256; no password in it
  secrets      the new roles' generated passwords and SCRAM verifiers (0600)
  rollback.sh  the rollback that needs no pgharden: restore files, signal the postmaster
then prints the review (see pgharden review --help). Nothing on the server changes.
The plan's first real step is a verified backup: pg_dumpall --globals-only and pg_dump -Fc of
every database the plan touches, each restored into a scratch database and compared table by
table with the live rows as of the dump's snapshot. It needs pg_dump/pg_restore of the server's
major or newer; without them plan refuses and names the package. --skip-backup leaves it out,
with a loud warning recorded in the plan and the report.
Run pgharden on the server's host, as root or the server's OS user: it reads pg_hba.conf.

Spec (YAML or JSON):
  target:   { dsn: postgres://postgres@/postgres?host=/var/run/postgresql, dataDir: /var/lib/postgresql/15/main }
  network:  { trustedRanges: [10.8.0.0/24], superuser: local-only, listenAddresses: "10.8.0.1" }
  roles:    [{ name: agents_app, template: app-readwrite, databases: [workspace], readOnlyTables: [agents_kill_switch] }]
  consumers: [{ name: agents, file: /srv/agents/.env, key: DATABASE_URL, role: agents_app,
               reload: [systemctl, reload, agents], healthCheck: [curl, -f, http://localhost:8080/health] }]
Templates: app-readwrite, readonly, migrator (templates/roles/); add your own with templates: DIR.

Exit codes: 0 plan saved; 2 spec, file or connection problem (every problem listed);
3 refused: the plan would be unsafe (e.g. the admin path would not survive the flip).

Examples:
  sudo pgharden plan --spec harden.yaml --out plans/office-vpn
  pgharden plan --spec harden.json --dsn postgres://postgres@localhost/postgres --json
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      {
        spec: { type: 'string' },
        out: { type: 'string' },
        ...CONNECTION_FLAGS,
        json: { type: 'boolean' },
        'skip-backup': { type: 'boolean' },
      },
      'plan',
    );
    if (!values.spec) throw new CliError('plan needs --spec FILE (YAML or JSON)', EXIT.usage, 'pgharden plan --help');
    if (positionals.length)
      throw new CliError(
        `plan takes no positional arguments (got "${positionals[0]}")`,
        EXIT.usage,
        'pgharden plan --help',
      );
    let text: string;
    try {
      text = readCapped(values.spec).toString('utf8');
    } catch (err) {
      throw new CliError(
        `Cannot read the spec "${values.spec}" (${err instanceof UnreadableFileError ? err.reason : ((err as NodeJS.ErrnoException).code ?? (err as Error).message)})`,
        EXIT.usage,
        'pgharden plan --help shows the spec format',
      );
    }
    const now = new Date();
    const out =
      values.out ??
      join(
        'plans',
        `${basename(values.spec, extname(values.spec))}-${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`,
      );
    const spec = await parseSpec(text, values.spec);
    // Flags first, then the spec's target, then the libpq environment.
    const flags = connectionFrom(values);
    const connection = Object.keys(flags).length ? flags : connectionFrom(spec.target);
    const { dir } = await makePlan({
      spec,
      specFile: values.spec,
      out,
      connection,
      version: VERSION,
      now,
      ...(values['skip-backup'] ? { skipBackup: true } : {}),
    });
    const review = await reviewPlan(dir, flags);
    if (!values.json) o.err(`Plan saved in ${review.dir} (plan.json, secrets 0600, rollback.sh).`);
    if (values['skip-backup'])
      o.err(
        paint(
          o,
          'red',
          'WARNING: --skip-backup: no verified backup will be taken before the change. This is recorded in the plan and the report.',
        ),
      );
    await printReview(review, Boolean(values.json), o);
    return review.drift.length ? EXIT.refused : EXIT.ok;
  },
};
