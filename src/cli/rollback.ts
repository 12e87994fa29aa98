import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { checkPlanTarget, loadPlan, rollback } from '../index.js';
import { CliError, EXIT } from './usage-errors.js';
import { paint } from '../render/output.js';

const HELP = `pgharden rollback — put everything back as it was before apply

Usage: pgharden rollback [plans/NAME] [--terminate] [--keep-drill-history] [--json] [--dsn URL | --cluster VERSION/NAME]   (default: the newest applied plan under ./plans)

It runs the undo each started step carries in plan.json, last step first, in three passes.
First, with no database login: every file the plan touched (pg_hba.conf, postgresql.auto.conf,
which undoes ALTER SYSTEM, consumer files) is restored from plans/NAME/backup byte for byte with
its mode and owner, and modes are chmodded back. Then the postmaster is signalled to reload
(SIGHUP to the pid in postmaster.pid, only once that pid is proven to be this data directory's
postmaster: its executable, its directory and its start time; otherwise the reload goes through
pg_reload_conf(), or you are told to run pg_ctl reload). Then, with the old rules back: each
consumer's reload command runs again and the SQL is undone in reverse order. Before a created
role is dropped, rollback waits (as long as apply's drain gate) for the sessions logged in as it
to go; a role that still has sessions, or owns anything, is kept and reported with them. The
same file restore is in plans/NAME/rollback.sh, which needs no pgharden at all.

Rollback refuses (exit 3, nothing changed) a plan directory that others can write (or that holds
a file another user owns), and any saved copy whose sha256 is not the one apply saved it with,
naming each. A journal shorter than what the files show (cut, or lost in part) is completed from
the files' evidence: every file not as the plan found it is put back, as rollback.sh does.

--terminate   end the sessions still logged in as a role rollback drops (pg_terminate_backend),
              then drop it

A pitr enable plan's rollback then tells the rest of the story: the runbook written for the
cluster is marked NO LONGER VALID, the cluster's pgharden_pitr_* and pgharden_drill_* samples are
removed from the metrics files pitr backup and pitr drill wrote, the drill history is removed,
and a repository the plan created is removed while it holds no backup (one with a backup is kept).
Each line says what it did: "removed" for a file the plan created, "restored" for one it changed.

--keep-drill-history   keep a pitr set-up's drill history (beside its pgBackRest configuration)

--json prints {"schemaVersion": 1, "plan", "restored", "removed", "undone", "kept"}.
Exit codes: 0 rolled back; 1 something was kept (listed); 2 usage; 3 lock held, journal tampered,
a saved copy changed, or a plan directory others can write.

Examples:
  sudo pgharden rollback plans/office-vpn
  sudo pgharden rollback --terminate plans/office-vpn   # end sessions still on the new roles
  sudo sh plans/office-vpn/rollback.sh       # the fallback
`;

/** The plan directory under ./plans whose journal changed last. */
function newestApplied(): string | undefined {
  if (!existsSync('plans')) return undefined;
  return readdirSync('plans')
    .map((n) => join('plans', n))
    .filter((d) => existsSync(join(d, 'journal')))
    .sort((a, b) => statSync(join(b, 'journal')).mtimeMs - statSync(join(a, 'journal')).mtimeMs)[0];
}

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { positionals, values } = parseFlags(
      argv,
      {
        json: { type: 'boolean' },
        terminate: { type: 'boolean' },
        'keep-drill-history': { type: 'boolean' },
        ...CONNECTION_FLAGS,
      },
      'rollback',
    );
    if (positionals.length > 1)
      throw new CliError('rollback takes at most one plan directory', EXIT.usage, 'pgharden rollback --help');
    const dir = positionals[0] ?? newestApplied();
    if (!dir) throw new CliError('No applied plan under ./plans; name one: pgharden rollback plans/NAME', EXIT.usage);
    const say = values.json ? (t: string) => o.err(t) : (t: string) => o.out(t);
    await checkPlanTarget(await loadPlan(dir), dir, connectionFrom(values), 'rollback');
    say(`Rolling back ${dir}`);
    const r = await rollback(dir, say, {
      terminate: values.terminate === true,
      keepDrillHistory: values['keep-drill-history'] === true,
    });
    if (values.json) {
      o.out(
        JSON.stringify(
          {
            schemaVersion: 1,
            plan: { id: r.plan.id, name: r.plan.name, dir },
            restored: r.restored,
            removed: r.removed,
            undone: r.undone,
            kept: r.kept,
          },
          null,
          2,
        ),
      );
      return r.kept.length ? EXIT.findings : EXIT.ok;
    }
    for (const k of r.kept) o.err(`${paint(o, 'yellow', 'kept:')} ${k}`);
    o.out(
      `${r.restored.length} file${r.restored.length === 1 ? '' : 's'} restored, ${r.removed.length ? `${r.removed.length} removed, ` : ''}${r.undone.length} step${r.undone.length === 1 ? '' : 's'} undone${r.kept.length ? `, ${r.kept.length} kept (see above)` : ''}.`,
    );
    return r.kept.length ? EXIT.findings : EXIT.ok;
  },
};
