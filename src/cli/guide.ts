import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { CliError, EXIT } from './usage-errors.js';
import { GUIDE_STATE_FILE, type GuideState } from '../guide/resume.js';

const HELP = `pgharden guide — the interactive guided hardening session

Usage: pgharden guide [--dsn URL | --cluster VERSION/NAME]

Walks you through it, one decision at a time: connect (--dsn, else the libpq environment, else it
asks) → the audit and who gets in how → the trusted ranges (suggested from your rules and the
client addresses connected now), listen_addresses (restart required) → one least-privilege role
per consumer seen in pg_stat_activity, each with a template and its databases, and the tables
it may only read, proposed from evidence (pg_stat_statements when installed, else
pg_stat_user_tables; names and comments that mark a kill switch, flags, settings or an audit
log) → roles added by hand → the config file that holds each consumer's connection string (it
scans the directories you name), consumers added by hand, each one's reload and health
commands (systemctl's, when a systemd service reads the file as its EnvironmentFile=) and drain
timeout → postgresql.conf's mode → the spec file → the plan and its review, stage by stage, the
same as pgharden review → apply with live progress (the drain names the sessions it waits for)
→ the negative tests as the server answered them, and the rollback line; on any failure it
offers the rollback. Nothing changes on the server before you confirm the apply. Ctrl-C at any question
stops cleanly and says what exists; every answer is saved as it is given (.pgharden-guide.json,
mode 0600, no connection string) and the next pgharden guide in that directory offers to resume
where it stopped. An existing harden.yaml is planned from as it is, or replaced only on a yes.

Needs a terminal; in scripts use pgharden plan --spec FILE and pgharden apply plans/NAME --yes.

Examples:
  sudo pgharden guide
  sudo PGHOST=/var/run/postgresql pgharden guide
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values } = parseFlags(argv, CONNECTION_FLAGS, 'guide');
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new CliError(
        'guide asks questions and needs a terminal',
        EXIT.usage,
        'in scripts: pgharden plan --spec harden.yaml, then pgharden apply plans/NAME --yes (pgharden plan --help shows the spec)',
      );
    }
    const prompts = await import('@inquirer/prompts');
    const { runGuide } = await import('../guide/flow.js');
    const state: GuideState = { answers: [] };
    try {
      return await runGuide(
        prompts,
        o,
        { connection: connectionFrom(values), cwd: process.cwd(), now: new Date() },
        state,
      );
    } catch (err) {
      if ((err as Error).name !== 'ExitPromptError') throw err;
      const resume = existsSync(join(process.cwd(), GUIDE_STATE_FILE))
        ? ` Your answers are saved in ${GUIDE_STATE_FILE}: run pgharden guide again here to resume where you stopped`
        : '';
      const where = state.planDir
        ? `The spec is in ${state.specFile} and the plan in ${state.planDir}; nothing was applied.${resume || ` Resume: pgharden review ${state.planDir}, then pgharden apply ${state.planDir}`}`
        : state.specFile
          ? `The spec is in ${state.specFile}; nothing else was made.${resume || ` Resume: pgharden plan --spec ${state.specFile}`}`
          : resume
            ? `Nothing was changed on the server.${resume}`
            : 'Nothing was written and nothing was changed. Run pgharden guide again to start over';
      o.out(`\nStopped at your request. ${where}.`);
      return EXIT.usage;
    }
  },
};
