/**
 * What the review and the report say before anything else: a skipped backup, restart-only
 * settings, a postgresql.conf other users' Debian tools will no longer read, roles the spec does
 * not map and what the flip does to them. Never done silently.
 */
import type { PlanInput } from './input.js';
import type { Step, UnmappedRole } from './types.js';
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
  const configStep = steps.find((st) => st.forward.do === 'chmod' && st.forward.path === input.configFile.path);
  if (configStep && input.configFacts.debianLayout && configStep.forward.do === 'chmod') {
    const secrets = input.configFacts.secretSettings;
    notices.push(
      `${input.configFile.path} becomes ${configStep.forward.mode.toString(8).padStart(4, '0')}: Debian's pg_lsclusters, pg_ctlcluster and psql --cluster read it to find the cluster's port and data directory, so run by OS users other than root and ${input.serverUser.name} they will fail ("Invalid data directory for cluster"). ${secrets.length ? `It holds a password (${secrets.join('; ')}), so keep it closed.` : 'It holds no password (primary_conninfo, archive_command and the other command settings checked), so configFileMode: keep in the spec is safe if other users need those tools.'}`,
    );
  }
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
