import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { CliError, EXIT } from './errors.js';
import type { GuideState } from '../guide/flow.js';

const HELP = `pgharden guide — the interactive guided hardening session

Usage: pgharden guide [--dsn URL]

Walks you through it, one decision at a time: connect (--dsn, else the libpq environment, else it
asks) → the audit and who gets in how → the trusted ranges (suggested from your rules and the
client addresses connected now) → one least-privilege role per consumer seen in
pg_stat_activity, each with a template → the config file that holds each consumer's connection
string (it scans the directories you name) → the spec file → the plan and its review, stage by
stage → apply with live progress → the verification report; on any failure it offers the
rollback. Nothing changes on the server before you confirm the apply. Ctrl-C at any question
stops cleanly and says what exists and how to resume.

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
    const state: GuideState = {};
    try {
      return await runGuide(
        prompts,
        o,
        { connection: connectionFrom(values), cwd: process.cwd(), now: new Date() },
        state,
      );
    } catch (err) {
      if ((err as Error).name !== 'ExitPromptError') throw err;
      const where = state.planDir
        ? `The spec is in ${state.specFile} and the plan in ${state.planDir}; nothing was applied. Resume: pgharden review ${state.planDir}, then pgharden apply ${state.planDir}`
        : state.specFile
          ? `The spec is in ${state.specFile}; nothing else was made. Resume: pgharden plan --spec ${state.specFile}`
          : 'Nothing was written and nothing was changed. Run pgharden guide again to start over';
      o.out(`\nStopped at your request. ${where}.`);
      return EXIT.usage;
    }
  },
};
