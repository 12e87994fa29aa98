/**
 * What the review and the report say before anything else: a skipped backup, restart-only
 * settings, a postgresql.conf other users' Debian tools will no longer read, roles the spec does
 * not map and what the flip does to them. Never done silently.
 */
import type { PlanInput } from './input.js';
import type { Step, UnmappedRole } from './plan-types.js';
import { existingRole, regrants, retirements } from './delta.js';

/** The notices of a plan, from its input and its steps. */
export function planNotices(input: PlanInput, steps: readonly Step[], unmapped: readonly UnmappedRole[]): string[] {
  const s = input.snapshot;
  const notices: string[] = input.skipBackup
    ? [
        'BACKUP SKIPPED (--skip-backup): no dump is taken and no restore is drilled before the change; the rollback restores files and undoes SQL, but there is no copy of the data if anything else goes wrong',
      ]
    : [];
  const listen = s.settings.listen_addresses;
  const fileListen = s.fileSettings.find((f) => f.name === 'listen_addresses' && f.applied)?.setting;
  if (input.spec.network.listenAddresses !== undefined) {
    notices.push(
      `RESTART REQUIRED: listen_addresses becomes '${input.spec.network.listenAddresses}' only when the server restarts; pgharden writes it but never restarts the server: run ${input.configFacts.restartCommand} when it suits you`,
    );
  } else if (listen === '*' || fileListen === '*') {
    notices.push(
      `listen_addresses is '*'${fileListen === '*' && listen !== '*' ? ` in ${s.settings.config_file} (the running server uses '${listen}')` : ''}: the server accepts TCP on every interface; after the flip only scram-sha-256 logins from the trusted ranges get in. To narrow it, set network.listenAddresses in the spec (restart required)`,
    );
  }
  const debianNotice = configNotice(input, steps);
  if (debianNotice) notices.push(debianNotice);
  for (const u of unmapped) if (!u.fate.startsWith('keeps') && !u.superuser) notices.push(`role ${u.role}: ${u.fate}`);
  return notices;
}

/** Day two: what the plan takes over as it is, leaves alone, and retires, and why. */
export function deltaNotices(input: PlanInput): string[] {
  const out: string[] = [];
  const regranted = new Set(regrants(input).map((g) => g.role.name));
  for (const r of input.spec.roles)
    if (existingRole(input, r.name) && !regranted.has(r.name))
      out.push(
        `role ${r.name}: exists and matches the spec (template "${r.template}"); taken over as it is, its password kept`,
      );
  for (const c of input.consumersInSync ?? [])
    out.push(`consumer ${c.name}: ${c.path} already connects as ${c.role}; left alone`);
  for (const c of input.removedConsumers ?? [])
    out.push(
      `consumer ${c.name}: no longer in the spec (plan ${c.plan} moved it to ${c.role}); ${c.path} is left as it is`,
    );
  for (const r of retirements(input))
    out.push(
      `RETIRED: ${r.role} becomes NOLOGIN${r.superuser ? ' NOSUPERUSER' : ''} once no session of it is left (up to ${r.drainTimeout} s): ${r.why}. Keep it with keep: [${r.role}] in the spec; pgharden never drops a role`,
    );
  return out;
}

/** What the flip does to postgresql.conf in Debian's layout, where pg_wrapper reads it for every OS user. */
function configNotice(input: PlanInput, steps: readonly Step[]): string | null {
  const f = input.configFacts;
  if (!f.debianLayout) return null;
  const path = input.configFile.path;
  const cluster = /^\/etc\/postgresql\/([^/]+)\/([^/]+)\//.exec(path);
  const id = cluster ? `${cluster[1]} ${cluster[2]}` : 'VERSION NAME';
  const mode = (m: number | null) => (m ?? 0).toString(8).padStart(4, '0');
  const secrets = f.secretSettings.join('; ');
  const moved = steps.find((st) => st.forward.do === 'copy-settings');
  if (moved?.forward.do === 'copy-settings') {
    return `${path} keeps mode ${mode(input.configFile.mode)}, so other OS users' psql, pg_dump and pg_lsclusters (Debian's pg_wrapper reads it to find the port) keep working. The settings in it that hold a password (${secrets}) move to ${moved.forward.to} (mode 0600, owned by ${input.serverUser.name}) and are commented out in ${path}: from then on only root and ${input.serverUser.name} can read them (other OS users could until now). The server's values do not change.`;
  }
  const chmod = steps.find((st) => st.forward.do === 'chmod' && st.forward.path === path);
  if (chmod?.forward.do === 'chmod') {
    const why =
      input.spec.configFileMode !== 'auto'
        ? `configFileMode: ${input.spec.configFileMode} in the spec`
        : `it holds a password (${secrets}) that cannot move to conf.d: ${f.split ? '' : 'the setting is also set in another file, or postgresql.conf does not include conf.d'}`;
    return `${path} becomes ${mode(chmod.forward.mode)} (${why}): Debian's pg_wrapper reads it to find the cluster's port, so psql, pg_dump and pg_lsclusters run by OS users other than root and ${input.serverUser.name}${chmod.forward.mode & 0o040 ? ` and the group's members` : ''} will fail with "Error: Invalid data directory for cluster ${id}". ${f.secretSettings.length ? '' : 'It holds no password: configFileMode: auto (the default) keeps it readable.'}`.trim();
  }
  if (input.spec.configFileMode === 'auto' && f.secretSettings.length === 0 && (input.configFile.mode ?? 0) & 0o004)
    return `${path} keeps mode ${mode(input.configFile.mode)}: other OS users' psql, pg_dump and pg_lsclusters (Debian's pg_wrapper reads it to find the port) keep working; it holds no password (primary_conninfo, archive_command, restore_command and the other command settings checked).`;
  return null;
}
