import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { apply, checkPlanTarget, installedFaults, loadPlan, reportText, VERSION } from '../index.js';
import { CliError, EXIT } from './usage-errors.js';
import { paint } from '../render/output.js';

const HELP = `pgharden apply — carry out a saved plan, step by step, with checkpoints

Usage: pgharden apply plans/NAME [--yes] [--json] [--dsn URL | --cluster VERSION/NAME]

Before the first change it prints the rollback line and its shell fallback. Then each step:
intent recorded (fsync) → action → checks → after-state observed → done recorded (fsync), in
plans/NAME/journal. Killed at any instant (power cut, SIGKILL, a failed consumer), run it again:
finished steps are skipped and an interrupted one is judged by the state it left. A stale plan
(the cluster or a file changed), a second concurrent apply, or a broken candidate pg_hba.conf
is refused. The verification report is saved as plans/NAME/report.txt and report.json.

Run it on the server's host as root or as the server's OS user: pgharden's admin path is the
local socket with peer (as root, its admin SQL runs in a child process with the server's uid).
Without a terminal, --yes is required. --json prints {"schemaVersion": 1, "plan", "outcome",
"stopped", "drift", "steps": [{"id", "stage", "outcome", "ms", "results"}]} instead of progress.

The plan knows its server; --dsn or --cluster, when given, must name that same server (else refused).

Exit codes: 0 applied and verified; 1 a step or a verification failed (it says how to roll
back); 2 usage or input error; 3 refused for safety (drift, lock held, validation failed).

Examples:
  sudo pgharden apply plans/office-vpn
  sudo pgharden apply plans/office-vpn --yes    # in a script
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      { yes: { type: 'boolean' }, json: { type: 'boolean' }, ...CONNECTION_FLAGS },
      'apply',
    );
    const dir = positionals[0];
    if (!dir || positionals.length > 1)
      throw new CliError(
        'apply takes one plan directory, e.g. pgharden apply plans/office-vpn',
        EXIT.usage,
        'pgharden apply --help',
      );
    const plan = await loadPlan(dir);
    await checkPlanTarget(plan, dir, connectionFrom(values), 'apply');
    // With --json the human narration goes to stderr, so stdout is one JSON document.
    const say = values.json ? (t: string) => o.err(t) : (t: string) => o.out(t);
    say(paint(o, 'bold', `Plan ${plan.name} (${plan.id.slice(0, 12)}): ${plan.steps.length} steps`));
    say(`Rollback, ready now:  ${plan.rollback.command}`);
    say(`Without pgharden:     sh ${join(dir, 'rollback.sh')}`);
    if (!values.yes) {
      if (!process.stdin.isTTY)
        throw new CliError(
          'apply changes the server: confirm with --yes when there is no terminal',
          EXIT.usage,
          `pgharden review ${dir}, then pgharden apply ${dir} --yes`,
        );
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(
        `Apply to PostgreSQL ${plan.server.major} at ${plan.binding.dataDirectory}? [y/N] `,
      );
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        o.out('Nothing was changed.');
        return EXIT.ok;
      }
    }
    const started = Date.now();
    const faults = installedFaults();
    // The time since apply started, said as such: each step's own time is in the report below.
    const log = (l: string) => say(`${l}  ${paint(o, 'dim', `(at ${((Date.now() - started) / 1000).toFixed(1)} s)`)}`);
    const r = await apply(dir, {
      version: VERSION,
      log,
      ...(faults ? { faults } : {}),
      onInterrupt: (at, cleanup) => {
        o.err(
          `Stopped at step ${at.step} of ${at.total} (${at.id}); \`pgharden apply ${dir}\` resumes, \`pgharden rollback ${dir}\` undoes`,
        );
        // The drill database is dropped and the report written first, for at most 20 s.
        // Then pgharden dies of the same signal (a shell shows 130 or 143), as it would have without
        // this handler; the exit code says the same should the signal not end it.
        const die = () => {
          process.removeAllListeners(at.signal);
          process.kill(process.pid, at.signal);
          setTimeout(() => process.exit(at.signal === 'SIGINT' ? 130 : 143), 1000);
        };
        const timer = setTimeout(die, 20_000);
        void cleanup.finally(() => {
          clearTimeout(timer);
          die();
        });
      },
    });
    if (values.json) {
      o.out(
        JSON.stringify(
          {
            schemaVersion: 1,
            plan: { id: r.plan.id, name: r.plan.name, dir },
            outcome: r.outcome,
            stopped: r.stopped ?? null,
            drift: r.drift,
            steps: r.steps,
          },
          null,
          2,
        ),
      );
      return r.outcome === 'applied' ? EXIT.ok : r.outcome === 'refused' ? EXIT.refused : EXIT.findings;
    }
    if (r.outcome === 'applied' && r.steps.length === 0) {
      o.out(
        `Already applied: every step of ${plan.name} is done; nothing ran. See pgharden status ${dir}; the report of the run that did it is ${join(dir, 'report.txt')}.`,
      );
      return EXIT.ok;
    }
    if (r.outcome === 'applied') {
      o.out(await reportText(r.plan, r.steps));
      o.out(
        paint(
          o,
          'green',
          `Applied and verified in ${((Date.now() - started) / 1000).toFixed(1)} s. Report: ${join(dir, 'report.txt')}`,
        ),
      );
      return EXIT.ok;
    }
    for (const d of r.drift) o.err(`  - ${d.item}: planned ${d.planned}, now ${d.now}`);
    const msg = `apply stopped at ${r.stopped?.step}: ${r.stopped?.reason}`;
    throw new CliError(
      msg,
      r.outcome === 'refused' ? EXIT.refused : EXIT.findings,
      `fix the cause and run pgharden apply ${dir} again to resume, or undo everything with pgharden rollback ${dir} (without pgharden: sh ${join(dir, 'rollback.sh')})`,
    );
  },
};
