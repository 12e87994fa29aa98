import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { checkPlanTarget, status } from '../index.js';
import { CliError, EXIT } from './usage-errors.js';
import { table } from '../render/output.js';

const HELP = `pgharden status — each step of a plan and where it stands

Usage: pgharden status plans/NAME [--json] [--dsn URL | --cluster VERSION/NAME]

Reads plans/NAME/journal (verifying its hash chain) and shows every step as not-started,
intent (interrupted), done, failed or reverted. Changes nothing; needs no database.
Warns (on stderr) when the files show more than the journal records: a step the journal never
mentions whose result is on disk, or a file the plan touches changed where no journaled step
writes it (a cut journal, or a change by hand).
--json prints {"schemaVersion": 1, "plan", "steps": [{"id", "stage", "state"}], "warnings"}.

Examples:
  pgharden status plans/office-vpn
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' }, ...CONNECTION_FLAGS }, 'status');
    const dir = positionals[0];
    if (!dir || positionals.length > 1)
      throw new CliError('status takes one plan directory', EXIT.usage, 'pgharden status --help');
    const { plan, steps, warnings } = await status(dir);
    await checkPlanTarget(plan, dir, connectionFrom(values), 'status');
    if (values.json) {
      o.out(JSON.stringify({ schemaVersion: 1, plan: { id: plan.id, name: plan.name }, steps, warnings }, null, 2));
    } else {
      o.out(`Plan ${plan.name} (${plan.id.slice(0, 12)})`);
      o.out(table([['STAGE', 'STEP', 'STATE'], ...steps.map((s) => [s.stage, s.id, s.state])]));
    }
    for (const w of warnings) o.err(`warning: ${w}`);
    if (warnings.length)
      o.err(
        `The files show more than the journal records. pgharden rollback ${dir} restores every file that is not as the plan found it, as rollback.sh does.`,
      );
    return EXIT.ok;
  },
};
