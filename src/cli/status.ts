import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { checkPlanTarget, status } from '../index.js';
import { CliError, EXIT } from './errors.js';
import { table } from '../render/output.js';

const HELP = `pgharden status — each step of a plan and where it stands

Usage: pgharden status plans/NAME [--json] [--dsn URL | --cluster VERSION/NAME]

Reads plans/NAME/journal (verifying its hash chain) and shows every step as not-started,
intent (interrupted), done, failed or reverted. Changes nothing; needs no database.
--json prints {"schemaVersion": 1, "plan", "steps": [{"id", "stage", "state"}]}.

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
    const { plan, steps } = await status(dir);
    await checkPlanTarget(plan, dir, connectionFrom(values), 'status');
    if (values.json) {
      o.out(JSON.stringify({ schemaVersion: 1, plan: { id: plan.id, name: plan.name }, steps }, null, 2));
    } else {
      o.out(`Plan ${plan.name} (${plan.id.slice(0, 12)})`);
      o.out(table([['STAGE', 'STEP', 'STATE'], ...steps.map((s) => [s.stage, s.id, s.state])]));
    }
    return EXIT.ok;
  },
};
