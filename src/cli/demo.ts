import { parseFlags, type Command } from './command.js';
import { installs } from '../index.js';
import { CliError, EXIT } from './usage-errors.js';
import { paint } from '../render/output.js';

const HELP = `pgharden demo — the whole story on a scratch cluster: insecure → hardened → verified → rolled back → hardened

Usage: pgharden demo [--no-color]

Creates a throwaway PostgreSQL cluster (the system's binaries under /usr/lib/postgresql when
present, else, in a clone after npm ci, the ones its development dependencies ship) in the
insecure state of the story: trust for everyone over a VPN-like range, listen_addresses='*' in
postgresql.conf, postgresql.conf readable by all, a workspace database with an agents' kill
switch anyone can flip as superuser, and three consumer config files (.env, YAML, JSON). The
server listens on 127.0.0.1 only (a command-line override) and the "VPN" is 127.10.0.0/16 on
loopback: nothing is ever reachable from another machine.

Then, narrated: the hole (a VPN device flips nothing yet, but could) → pgharden audit →
plan and review (spec, stages, the pg_hba.conf diff, the connection matrix before → after) →
apply with its verification → the negative tests on the hardened cluster (the old paths
refused by the server) → the rollback drill (the hole is back) → apply again → row counts at
each stage (no data moved) → everything removed. Runs as root or as a normal user.
Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the scratch cluster, removes it and the consumer files,
and exits 128 + the signal's number (130 for Ctrl-C).
Exit codes: 0 every stage behaved; 1 a negative test did not (printed in red); 2 no binaries;
4 a tool failed (initdb, pg_ctl).

Examples:
  npm ci && npm run demo
  pgharden demo --no-color > demo.txt
`;

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    parseFlags(argv, {}, 'demo');
    const found = await installs();
    const install = found.find((i) => i.source === 'system') ?? found.at(-1);
    if (!install)
      throw new CliError(
        'No PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin)',
        EXIT.usage,
        'install a server: apt-get install postgresql-15 (any major from 14), or in a clone of pgharden: npm ci && npm run demo',
      );
    const { runDemo } = await import('../demo/story-demo.js');
    const r = await runDemo(install, o);
    const bad = [
      ...r.stages.insecure.filter((t) => t.name.startsWith('superuser') && t.outcome !== 'open'),
      ...r.stages.hardened.filter((t) =>
        t.name.includes('must still work') ? t.outcome !== 'open' : t.outcome !== 'closed',
      ),
      ...r.stages.rolledBack.filter((t) => t.outcome !== 'open'),
      ...r.stages.reapplied.filter((t) =>
        t.name.includes('must still work') ? t.outcome !== 'open' : t.outcome !== 'closed',
      ),
    ];
    if (bad.length || new Set(r.rowCounts).size !== 1) {
      o.err(paint(o, 'red', `The demo did not behave: ${bad.map((t) => t.name).join('; ') || 'row counts changed'}`));
      return EXIT.findings;
    }
    return EXIT.ok;
  },
};
