/**
 * The desired state drift compares against: an applied plan's end state (the pg_hba.conf its last
 * write left, its roles, consumers and file modes), or a spec (judged by method, roles, grants,
 * modes and consumers, as a plan made from it now would leave them).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Snapshot } from '../cluster/introspect.js';
import type { Spec } from '../spec/spec.js';
import type { Plan } from '../plan/plan-types.js';
import type { DesiredState } from './drift-types.js';

/** No access for other OS users: what the audit asks of the server's configuration files. */
const NO_OTHERS = 0o770;

/** The end state of an applied plan. */
export function desiredFromPlan(plan: Plan, dir: string): DesiredState {
  let hba: DesiredState['hba'];
  const modes = new Map<string, number>();
  for (const s of plan.steps) {
    const f = s.forward;
    if (f.do === 'write-file' && f.path === plan.server.hbaFile) hba = { path: f.path, content: f.content };
    if (f.do === 'chmod') modes.set(f.path, f.mode);
  }
  if (!modes.has(plan.server.hbaFile)) modes.set(plan.server.hbaFile, NO_OTHERS);
  // A configuration file the plan did not chmod was kept as it was on purpose (configFileMode
  // `keep`, or `auto` in Debian's layout, where pg_wrapper must read it): no looser than then.
  if (!modes.has(plan.server.configFile)) {
    const kept = plan.binding.files.find((f) => f.path === plan.server.configFile)?.mode;
    modes.set(plan.server.configFile, kept ?? NO_OTHERS);
  }
  return {
    source: `plan ${dir}`,
    replan: `pgharden plan --spec SPEC (the spec ${dir} was made from), then pgharden apply`,
    ...(hba ? { hba } : {}),
    roles: plan.roles,
    consumers: plan.consumers.map((c) => ({
      name: c.name,
      path: c.path,
      format: c.format,
      ...(c.key ? { key: c.key } : {}),
      role: c.role,
    })),
    fileModes: [...modes].map(([path, mode]) => ({ path, mode })),
  };
}

/** What a spec asks of the cluster the snapshot was taken from. */
export function desiredFromSpec(spec: Spec, specFile: string, s: Snapshot): DesiredState {
  const specDir = dirname(resolve(specFile));
  const fileModes: DesiredState['fileModes'] = [];
  const config = s.settings.config_file;
  const dataDir = s.settings.data_directory;
  // `auto` in Debian's layout (configuration outside the data directory) keeps postgresql.conf
  // readable for pg_wrapper, its secrets moved to a 0600 file in conf.d; `keep` keeps it as it is.
  const debianLayout = !!config && !!dataDir && !config.startsWith(`${dataDir}/`);
  const configMode: Record<Spec['configFileMode'], number | undefined> = {
    '0600': 0o600,
    '0640': 0o640,
    auto: debianLayout ? 0o644 : NO_OTHERS,
    keep: undefined,
  };
  const wanted = configMode[spec.configFileMode];
  if (config && wanted !== undefined) fileModes.push({ path: config, mode: wanted });
  for (const f of [s.settings.hba_file, s.settings.ident_file]) if (f) fileModes.push({ path: f, mode: 0o640 });
  return {
    source: `spec ${specFile}`,
    replan: `pgharden plan --spec ${specFile}, then pgharden apply`,
    roles: spec.roles,
    consumers: spec.consumers.map((c) => ({
      name: c.name,
      path: isAbsolute(c.file) ? c.file : resolve(specDir, c.file),
      ...(c.format ? { format: c.format } : {}),
      ...(c.key ? { key: c.key } : {}),
      role: c.role,
    })),
    fileModes,
  };
}
