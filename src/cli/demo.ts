import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseFlags, type Command } from './command.js';
import { CliError, EXIT } from './errors.js';
import { paint, type Output } from './output.js';

const HELP = `pgharden demo — the story on a scratch cluster: the hole, shown against a real server

Usage: pgharden demo [--no-color]

Creates a throwaway PostgreSQL cluster (the system's binaries when present, else the ones the
npm package ships) in the insecure state of the story: trust for everyone over a VPN-like
range, listen_addresses='*' in postgresql.conf, postgresql.conf readable by all, and a
workspace database with an agents' kill switch. The server itself listens on 127.0.0.1 only
(a command-line override), and the "VPN" is 127.10.0.0/16 on loopback: nothing is ever
reachable from another machine. The demo then proves the hole by flipping the kill switch as
superuser, without a password, from a "device on the VPN", shows how pgharden reads the
configuration, and removes everything it created. Runs as root or as a normal user.

Examples:
  npm ci && npm run demo
  pgharden demo --no-color > demo.txt
`;

function step(o: Output, started: number, text: string): void {
  o.out(`\n${paint(o, 'bold', `[${((performance.now() - started) / 1000).toFixed(1)}s] ${text}`)}`);
}

export const command: Command = {
  help: HELP,
  async run(argv, o) {
    parseFlags(argv, {}, 'demo');
    const started = performance.now();
    const { listInstalls } = await import('../cluster/install.js');
    const installs = listInstalls();
    const install = installs.find((i) => i.source === 'system') ?? installs.at(-1);
    if (!install) {
      throw new CliError('No PostgreSQL server binaries found', EXIT.usage, 'install them: apt-get install postgresql, or npm ci (ships PostgreSQL 18)');
    }
    const { startStoryCluster, VPN_DEVICE, VPN_RANGE } = await import('../cluster/story.js');
    step(o, started, `Creating the story's scratch cluster with PostgreSQL ${install.major} (${install.source})`);
    const cluster = await startStoryCluster(install);
    try {
      o.out(`  data directory ${cluster.dataDir}, listening on 127.0.0.1:${cluster.port} only`);

      step(o, started, 'What pg_hba.conf says, read exactly as PostgreSQL reads it (pgharden inspect hba)');
      const { readFileSync } = await import('node:fs');
      const { contextFromServer } = await import('../cluster/context.js');
      const { parseHba } = await import('../conf/hba.js');
      const { hbaRows } = await import('../conf/hba-rows.js');
      const { renderHbaReport } = await import('./inspect-hba.js');
      const admin = await cluster.connect();
      const { context } = await contextFromServer(admin);
      await admin.end();
      const rows = hbaRows(parseHba(readFileSync(cluster.hbaFile, 'utf8'), { file: cluster.hbaFile, context }), { file: cluster.hbaFile, context });
      o.out(renderHbaReport(rows.map((r) => ({ ...r, file: 'pg_hba.conf' })), o));
      const server = await cluster.query<{ line_number: number; auth_method: string }>('SELECT line_number, auth_method FROM pg_hba_file_rules ORDER BY line_number');
      const same = server.length === rows.length && server.every((r, i) => r.line_number === rows[i]!.line_number && r.auth_method === rows[i]!.auth_method);
      o.out(`  PostgreSQL's own pg_hba_file_rules agrees line for line: ${same ? paint(o, 'green', 'yes') : paint(o, 'red', 'NO')}`);

      step(o, started, `A phone on the VPN (${VPN_DEVICE}, inside ${VPN_RANGE}) connects as superuser, with no password`);
      const { clientFrom } = await import('../cluster/from-address.js');
      const phone = clientFrom(VPN_DEVICE, { host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'workspace' });
      await phone.connect();
      const { rows: who } = await phone.query<{ addr: string; su: boolean }>(
        "SELECT host(inet_client_addr()) AS addr, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su",
      );
      await phone.query("UPDATE agents_kill_switch SET engaged = true, changed_by = 'a phone on the VPN', changed_at = now()");
      const { rows: ks } = await phone.query<{ engaged: boolean }>('SELECT engaged FROM agents_kill_switch');
      await phone.end();
      o.out(`  connected from ${who[0]?.addr} as superuser=${who[0]?.su}; kill switch engaged=${ks[0]?.engaged}`);
      o.out(`  ${paint(o, 'red', 'That is the hole:')} one SQL statement from any device stops every agent.`);
      await cluster.query('SELECT 1'); // admin session still fine
      const reset = await cluster.connect({ database: 'workspace' });
      await reset.query('UPDATE agents_kill_switch SET engaged = false, changed_by = NULL, changed_at = NULL');
      await reset.end();

      step(o, started, 'pgharden audit: every risk, with its evidence (while the agents are connected as superuser)');
      const agents = clientFrom(VPN_DEVICE, { host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'workspace', application_name: 'agents' });
      await agents.connect();
      const { introspect } = await import('../cluster/introspect.js');
      const { runAudit } = await import('../audit/audit.js');
      const { connectionMatrix } = await import('../audit/matrix.js');
      const auditor = await cluster.connect();
      const snapshot = await introspect(auditor);
      await auditor.end();
      await agents.end();
      const findings = runAudit(snapshot);
      for (const f of findings) o.out(`  ${paint(o, f.severity === 'critical' || f.severity === 'high' ? 'red' : 'yellow', f.severity.padEnd(8))} ${f.id.padEnd(26)} ${f.title}`);
      const matrix = connectionMatrix(snapshot);
      o.out(`  connection matrix (role x source -> method): ${matrix.roles.map((r) => `${r}: ${matrix.sources.map((src) => `${src.label}=${matrix.cells[r]![src.label]}`).join(', ')}`).join('; ')}`);

      step(o, started, 'postgresql.conf says more than the server does');
      const [file] = await cluster.query<{ setting: string }>("SELECT setting FROM pg_file_settings WHERE name = 'listen_addresses' ORDER BY seqno DESC LIMIT 1");
      const [live] = await cluster.query<{ v: string }>("SELECT current_setting('listen_addresses') AS v");
      const mode = (statSync(cluster.confFile).mode & 0o777).toString(8).padStart(4, '0');
      o.out(`  listen_addresses in the file: '${file?.setting}'; in force (command-line override for this demo): '${live?.v}'`);
      o.out(`  postgresql.conf mode ${mode}: readable by every user of the machine`);

      step(o, started, 'Next');
      o.out('  pgharden plan, apply (with its negative tests) and rollback follow in the next releases;');
      o.out('  today: "pgharden audit --help" and "pgharden inspect hba --help" on your own server.');
    } finally {
      await cluster.stop();
      step(o, started, 'Removed the scratch cluster and everything it created');
    }
    return EXIT.ok;
  },
};
