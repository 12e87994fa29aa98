#!/usr/bin/env node
import { CliError, EXIT } from './errors.js';
import { makeOutput, paint } from './output.js';
import type { Command } from './command.js';

// Each verb is imported only when used, so `pgharden inspect hba` does not pay for `pg`.
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  inspect: () => import('./inspect.js'),
  demo: () => import('./demo.js'),
  audit: () => import('./audit.js'),
  plan: () => import('./plan.js'),
  review: () => import('./review.js'),
  apply: () => import('./apply.js'),
  status: () => import('./status.js'),
  rollback: () => import('./rollback.js'),
  guide: () => import('./guide.js'),
  consumers: () => import('./consumers.js'),
  backup: () => import('./backup.js'),
};

const HELP = `pgharden — take a self-run PostgreSQL from trust-over-the-network to least privilege, with proof.

Usage: pgharden <command> [options]

Commands:
  audit                every authentication risk on a live cluster, with evidence and fix
  inspect hba [FILE]   parse pg_hba.conf exactly as PostgreSQL does (rows of pg_hba_file_rules)
  inspect conf [FILE]  parse postgresql.conf and its includes (rows of pg_file_settings)
  inspect who          which pg_hba.conf rule a connection hits, and its method
  plan --spec FILE     the ordered hardening plan, saved in plans/NAME and reviewed
  review plans/NAME    the dry run: what apply would do now (drift, SQL, diffs, matrix)
  apply plans/NAME     carry out the plan with checkpoints; run again to resume
  status plans/NAME    each step's state, from the journal
  rollback [plans/NAME] put everything back: files first (no login needed), then SQL
  guide                the interactive guided hardening session
  consumers --scan DIR where connection strings live, to help write the spec
  backup --out DIR     the nightly job: dumps, restore drill, retention, off-box copy, metrics
  demo                 the whole story on a scratch cluster: insecure → hardened → verified → rolled back

Connection: --dsn URL, else the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSERVICE).
Exit codes: 0 ok, 1 findings, 2 usage or input error, 3 refused for safety.
Run "pgharden <command> --help" for a command's flags and examples.
`;

async function main(argv: string[]): Promise<number> {
  const out = makeOutput(argv);
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    out.out(HELP);
    return verb === undefined ? EXIT.usage : EXIT.ok;
  }
  if (verb === '--version') {
    out.out('pgharden 0.1.0');
    return EXIT.ok;
  }
  const load = COMMANDS[verb];
  if (!load) {
    out.err(`pgharden: unknown command "${verb}". Run "pgharden --help" for the list of commands.`);
    return EXIT.usage;
  }
  let { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    // `pgharden inspect hba --help` shows the sub-command's help.
    if (command.subcommands && rest[0] && command.subcommands[rest[0]]) command = (await command.subcommands[rest[0]]!()).command;
    out.out(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, out);
  } catch (err) {
    if (err instanceof CliError) {
      out.err(`${paint(out, 'red', 'pgharden:')} ${err.message}`);
      if (err.next) out.err(`Next: ${err.next}`);
      return err.exitCode;
    }
    out.err(`pgharden: internal error: ${(err as Error).stack ?? String(err)}`);
    out.err('This is a bug in pgharden. Nothing was changed by this command.');
    return EXIT.usage;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pgharden: ${String(err)}\n`);
    process.exitCode = EXIT.usage;
  },
);
