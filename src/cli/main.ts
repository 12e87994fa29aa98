#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isServerError, PEER_RELAY_ARG, PghardenError, runPeerRelay, serverMessage, VERSION } from '../index.js';
import { EXIT } from './usage-errors.js';
import { makeOutput, paint } from '../render/output.js';
import type { Command } from './command.js';
import { changedBy } from './internal-error.js';

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
  pitr: () => import('./pitr.js'),
  runbook: () => import('./runbook.js'),
  drift: () => import('./drift.js'),
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
  pitr enable|backup   point-in-time recovery: pgBackRest set up by a reviewed plan; its backups
  pitr drill           restore pgBackRest's backup + WAL to a point in time on a scratch server, compare, RTO/RPO
  runbook [--out FILE] this cluster's disaster-recovery runbook, from live facts
  drift [plans/NAME]   the live cluster against its hardened state (exit 1 on drift); --install-timer: nightly
  demo                 the whole story on a scratch cluster: insecure → hardened → verified → rolled back

Connection: --dsn (a URI or key=value string, as libpq takes) or --cluster VERSION/NAME, else
PGHARDEN_DSN (the same string as --dsn, kept out of the process's argv), else PGCLUSTER
(Debian), else the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSERVICE, PGPASSFILE…), else
the one running Debian cluster. Run as root (sudo), pgharden reaches a local server as its OS user.
Exit codes: 0 ok, 1 findings, 2 usage or input error, 3 refused for safety, 4 a tool pgharden ran
(pgbackrest, pg_dump, pg_ctl…) failed (its name, exit and last stderr lines are printed), 70 internal
error (a bug).
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
    out.out(`pgharden ${VERSION}`);
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
    if (command.subcommands && rest[0] && command.subcommands[rest[0]])
      command = (await command.subcommands[rest[0]]!()).command;
    out.out(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, out);
  } catch (err) {
    const shown = userFacing(err, argv);
    if (shown) {
      out.err(`${paint(out, 'red', 'pgharden:')} ${shown.message}`);
      if (shown.next) out.err(`Next: ${shown.next}`);
      return shown.exitCode;
    }
    out.err(
      `pgharden: internal error: ${(err as Error).message ?? String(err)} (details in ${writeDetails(err, argv)}). This is a bug in pgharden; ${changedBy(argv)}`,
    );
    return EXIT.internal;
  }
}

/** An error the user can act on, as message, next step and exit code; undefined for a bug. */
function userFacing(
  err: unknown,
  argv: readonly string[],
): { message: string; next?: string; exitCode: number } | undefined {
  if (err instanceof PghardenError)
    return { message: err.message, ...(err.next ? { next: err.next } : {}), exitCode: err.exitCode };
  const e = err as { message?: string; code?: string; syscall?: string; path?: string };
  // A file-system error: name the path and the error in words.
  if (typeof e.syscall === 'string' && typeof e.code === 'string' && e.code.startsWith('E')) {
    const denied = e.code === 'EACCES' || e.code === 'EPERM';
    return {
      message: `Cannot ${e.syscall} ${e.path ? `"${e.path}"` : ''}: ${fsWords(e.code)}`,
      next: denied
        ? `run as root (sudo pgharden ${argv.join(' ')}) or as the server's OS user`
        : 'check the path and its permissions, then run the command again',
      exitCode: EXIT.usage,
    };
  }
  // An error the server raised that no layer wrapped: its own words, DETAIL and HINT.
  if (isServerError(err)) return { message: `the server said: ${serverMessage(err)}`, exitCode: EXIT.usage };
  return undefined;
}

const FS_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  EBUSY: 'the resource is busy',
};
const fsWords = (code: string) => FS_WORDS[code] ?? code;

/** Writes a bug's details (stack, command line) to a private file and returns its path. */
function writeDetails(err: unknown, argv: string[]): string {
  const file = join(tmpdir(), `pgharden-error-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
  try {
    writeFileSync(file, `pgharden ${argv.join(' ')}\n${(err as Error).stack ?? String(err)}\n`, { mode: 0o600 });
    return file;
  } catch {
    return 'stderr, as no file could be written';
  }
}

// `pgharden audit | head`: a closed pipe ends the output, not the program with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

// The single executable started as the peer relay of another pgharden (see cluster/peer-relay.ts).
if (process.argv[2] === PEER_RELAY_ARG && process.argv[3]) runPeerRelay(process.argv[3]);
else
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`pgharden: ${String(err)}\n`);
      process.exitCode = EXIT.usage;
    },
  );
