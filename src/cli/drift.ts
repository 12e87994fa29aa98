import { realpathSync } from 'node:fs';
import { drift, driftTimer, type Difference } from '../index.js';
import { CONNECTION_FLAGS, connectionFrom, parseFlags, type Command } from './command.js';
import { EXIT, usageError } from './usage-errors.js';
import { paint } from '../render/output.js';

const HELP = `pgharden drift — the live cluster against its hardened state: 0 in sync, 1 drifted

Usage: pgharden drift [plans/NAME | --spec FILE] [--json] [--metrics FILE] [--dsn URL | --cluster V/NAME]
       pgharden drift --install-timer [--user root|postgres] [--print] [--unit-dir DIR] [drift's own flags]

Compares, read-only, the live cluster with the desired state: the end state of an applied plan
(plans/NAME, default the newest fully applied plan under ./plans), or a spec (--spec). It reports:
  hba-rule            a trust, password or md5 rule over the network (file:line), and against a plan,
                      every rule line added to or removed from the pg_hba.conf the plan left
  superuser-network   a superuser some network rule admits (the rule's file:line)
  role, role-attribute a spec role missing, or holding SUPERUSER, CREATEROLE, CREATEDB, REPLICATION,
                      BYPASSRLS, or unable to log in (neither ROLE nor its rotation partner ROLE_alt)
  grant               a privilege the role's template does not give (or one it gives, missing), per table
  password-encryption password_encryption is not scram-sha-256
  file-mode           a configuration file more permissive than the plan (or spec) left it
  consumer-dsn        a consumer file whose connection string no longer logs in as its role
Each difference comes with its evidence and the command that fixes it. A saved plan's cluster is
reached as apply reaches it (local socket, the server's OS user); --dsn/--cluster override it. With
--spec, the spec's target is used: after hardening its superuser TCP login is refused, so give
--cluster or --dsn "host=/var/run/postgresql".

--json prints {"inSync": bool, "cluster": "...", "differences": [{"kind", "object", "expected",
"actual", "evidence", "fix"}]}.
--metrics FILE writes Prometheus textfile gauges (atomically, other lines kept) for node_exporter:
  pgharden_drift_differences{cluster="15/main",kind="hba-rule"}  (every kind, 0 included)
  pgharden_drift_in_sync{cluster="15/main"}                      1 in sync, 0 drifted
  pgharden_drift_last_run_timestamp_seconds{cluster="15/main"}
The cluster label is VERSION/NAME for a Debian cluster, else pgMAJOR-PORT (as on every pgharden metric).

Nightly: --install-timer writes /etc/systemd/system/pgharden-drift.service and .timer (03:17 each
night, Persistent=true) running this drift command with the other flags given, as --user (root,
default, or postgres: the server's OS user), then prints the command that enables the timer.
--print writes nothing and prints both units and the equivalent /etc/cron.d line instead.
--unit-dir DIR writes the units elsewhere (e.g. ~/.config/systemd/user).

Exit codes: 0 in sync; 1 drift found; 2 usage, input or connection error.

Examples:
  sudo pgharden drift                                 # against the newest applied plan in ./plans
  sudo pgharden drift plans/office-vpn --json | jq '.differences[] | {kind, object, fix}'
  sudo pgharden drift --spec harden.yaml --cluster 15/main
  sudo pgharden drift plans/office-vpn --metrics /var/lib/prometheus/node-exporter/pgharden-drift.prom
  sudo pgharden drift --install-timer --user postgres plans/office-vpn --metrics /var/lib/prometheus/node-exporter/pgharden-drift.prom
  pgharden drift --install-timer --print --spec /etc/pgharden/harden.yaml
`;

function render(d: Difference, o: Parameters<Command['run']>[1]): string[] {
  return [
    `  ${paint(o, 'red', `[${d.kind}]`)} ${d.object}: expected ${d.expected}, found ${d.actual}`,
    ...d.evidence.map((e) => `      ${e}`),
    `      fix: ${d.fix}`,
  ];
}

/** The command line the timer runs: this pgharden, by absolute path, with drift's own flags. */
function timerCommand(argv: string[]): string[] {
  const drop = new Set(['--install-timer', '--print']);
  const own: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    if (drop.has(a)) continue;
    if (a === '--user' || a === '--unit-dir') {
      i += 1;
      continue;
    }
    if (a.startsWith('--user=') || a.startsWith('--unit-dir=')) continue;
    own.push(a);
  }
  const script = process.argv[1] ? realpathSync(process.argv[1]) : 'pgharden';
  return [process.execPath, script, 'drift', ...own];
}

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    const { values, positionals } = parseFlags(
      argv,
      {
        ...CONNECTION_FLAGS,
        spec: { type: 'string' },
        json: { type: 'boolean' },
        metrics: { type: 'string' },
        'install-timer': { type: 'boolean' },
        print: { type: 'boolean' },
        user: { type: 'string' },
        'unit-dir': { type: 'string' },
      },
      'drift',
    );
    if (positionals.length > 1) throw usageError('drift takes at most one plan directory', 'drift');
    if (positionals[0] && values.spec)
      throw usageError('drift compares with a plan directory or --spec, not both', 'drift');
    if (values['install-timer']) {
      const user = values.user ?? 'root';
      if (user !== 'root' && user !== 'postgres')
        throw usageError(`--user takes "root" or "postgres", not "${user}"`, 'drift');
      const files = await driftTimer({
        command: timerCommand(argv),
        user,
        ...(values['unit-dir'] ? { unitDir: values['unit-dir'] } : {}),
        write: values.print !== true,
      });
      if (values.print) {
        o.out(`# ${files.service.path}\n${files.service.text}\n# ${files.timer.path}\n${files.timer.text}`);
        o.out(`# or, without systemd, /etc/cron.d/pgharden-drift:\n${files.cron}`);
      } else {
        o.out(`Wrote ${files.service.path} and ${files.timer.path} (runs as ${user}, nightly at 03:17).`);
        o.out(`Next: ${files.enable}`);
      }
      return EXIT.ok;
    }
    if (values.print || values.user || values['unit-dir'])
      throw usageError('--print, --user and --unit-dir go with --install-timer', 'drift');
    const r = await drift({
      ...(positionals[0] ? { plan: positionals[0] } : {}),
      ...(values.spec ? { spec: values.spec } : {}),
      ...(values.metrics ? { metrics: values.metrics } : {}),
      connection: connectionFrom(values),
    });
    if (values.json) {
      o.out(JSON.stringify({ inSync: r.inSync, cluster: r.cluster, differences: r.differences }, null, 2));
    } else if (r.inSync) {
      o.out(`${paint(o, 'green', 'In sync:')} cluster ${r.cluster} matches ${r.desired}.`);
    } else {
      o.out(
        `${paint(o, 'red', 'Drifted:')} cluster ${r.cluster} differs from ${r.desired} in ${r.differences.length} way${r.differences.length === 1 ? '' : 's'}:`,
      );
      for (const d of r.differences) o.out(render(d, o).join('\n'));
    }
    if (values.metrics && !values.json) o.out(`Metrics written to ${values.metrics}.`);
    return r.inSync ? EXIT.ok : EXIT.findings;
  },
};
