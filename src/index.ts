/**
 * pgharden's public API: plain options in, data out — no printing, no process.exit. The CLI, the
 * guided session and the demo use only this module, as any other program would (package.json
 * `exports`). Progress is reported through `log` callbacks where a verb runs for a while.
 *
 * The verbs load their implementation on first call: `pgharden inspect hba` should not pay for
 * pg, libpg-query and the executor (importing every layer takes over a second; the measured
 * start-up is in the README). The light, pure building blocks (parsers, matcher, address
 * arithmetic, errors) are exported directly.
 */
import type { Finding } from './audit/finding-types.js';
import type { ConnectionMatrix } from './audit/matrix.js';
import type { ConnectOptions } from './connect/libpq-resolve.js';
import type { Snapshot } from './cluster/introspect.js';
import type { ApplyOptions, ApplyResult } from './execute/apply-plan.js';
export { closest } from './core/did-you-mean.js';
export type { Faults } from './execute/runners.js';
export { installedFaults } from './execute/fault-hook.js';
import type { StepReport } from './execute/report.js';
import type { RollbackOptions, RollbackResult } from './execute/rollback-plan.js';
import type { BackupJobOptions, BackupJobResult } from './backup/job.js';
import type { VerifiedBackup } from './backup/verified.js';
import type { MakePlanOptions } from './plan/make.js';
import type { FileDiff, Review } from './plan/dry-run.js';
import type { Plan } from './plan/plan-types.js';
import type { StepState } from './execute/journal.js';

export * from './core/errors.js';
export { VERSION } from './core/version.js';
export { PEER_RELAY_ARG, runPeerRelay } from './connect/peer-relay.js';
export { SEVERITIES, atLeast, type Finding, type Severity } from './audit/finding-types.js';
export type { ConnectionMatrix } from './audit/matrix.js';
export type { ConnectOptions, ResolvedTarget } from './connect/libpq-resolve.js';
export type { ClientGroup, RoleFacts, Snapshot } from './cluster/introspect.js';
export { parseConninfo } from './connect/conninfo.js';
export { defaultContext, type ServerContext } from './conf/context.js';
export type { HbaFileRuleRow, HbaRule } from './conf/hba-types.js';
export { maskPrefixLength, parseIp, parsePrefix } from './conf/ip.js';
export type { ReadFile } from './conf/load-hba.js';
export { readCapped, UnreadableFileError } from './conf/read-capped.js';
export type { MatchFacts } from './hba/match.js';
export { prefixBits, where } from './audit/rules.js';
export type {
  ApplyOptions,
  ApplyResult,
  BackupJobOptions,
  BackupJobResult,
  FileDiff,
  MakePlanOptions,
  Plan,
  Review,
  RollbackOptions,
  RollbackResult,
  StepReport,
  VerifiedBackup,
};
export type { Spec } from './spec/spec.js';
/** A server session as node-postgres opens it (what clientFrom returns), for the front ends' types. */
export type { Client as PgClient } from 'pg';
export type { FileSettingRow } from './conf/guc-settings.js';
export type { PgInstall } from './cluster/install.js';

export { PLAN_FILE, ROLLBACK_FILE, SECRETS_FILE } from './plan/files.js';
export { TLS_FINDING_IDS } from './audit/tls-findings.js';

/** What `audit` finds: the snapshot it judged, the findings and the connection matrix. */
export interface AuditResult {
  snapshot: Snapshot;
  findings: Finding[];
  matrix: ConnectionMatrix;
}

/** Audits a live cluster, read-only. */
export async function audit(
  o: {
    connection?: ConnectOptions;
    dataDir?: string;
    recovery?: import('./pitr/archive-facts.js').RecoveryOptions;
    /**
     * Password ages, and the consumers whose TLS the audit judges, from the plans under `plansDir`
     * (default ./plans); `maxAgeDays` overrides the spec's limit.
     */
    passwords?: { plansDir?: string; maxAgeDays?: number };
  } = {},
): Promise<AuditResult> {
  const [
    { withClient },
    { introspect },
    { runAudit },
    { connectionMatrix },
    { recoveryFacts },
    { passwordAges },
    { consumerTlsFacts },
  ] = await Promise.all([
    import('./connect/connect.js'),
    import('./cluster/introspect.js'),
    import('./audit/run-audit.js'),
    import('./audit/matrix.js'),
    import('./pitr/archive-facts.js'),
    import('./execute/journal-password-ages.js'),
    import('./execute/plan-consumer-dsns.js'),
  ]);
  const now = new Date();
  const snapshot = await withClient(o.connection ?? {}, async (c) => {
    const s = await introspect(c, o.dataDir ? { dataDir: o.dataDir } : {});
    const consumers = consumerTlsFacts(o.passwords?.plansDir ?? 'plans');
    s.limits.push(...consumers.limits);
    return {
      ...s,
      recovery: await recoveryFacts(c, o.recovery ?? {}, now, s.limits),
      passwordAges: passwordAges(o.passwords?.plansDir ?? 'plans', now, o.passwords?.maxAgeDays),
      consumerTls: consumers.facts,
    };
  });
  return { snapshot, findings: runAudit(snapshot), matrix: connectionMatrix(snapshot) };
}

/** Reads a spec (YAML or JSON text); throws SpecError listing every problem. */
export async function parseSpec(text: string, file: string) {
  return (await import('./spec/spec.js')).parseSpec(text, file);
}

/**
 * Makes and saves a plan (nothing on the server changes); returns it with its directory, or with
 * `dir` null and `plan.nothingToDo` when the cluster already matches the spec (nothing is written).
 */
export async function plan(o: MakePlanOptions): Promise<{ plan: Plan; dir: string | null }> {
  return (await import('./plan/make.js')).makePlan(o);
}

/**
 * `plan --check`: the plan `plan` would save and its review, computed in memory; nothing is
 * written anywhere (no plan directory, no secrets file, no temporary file). `review` is null when
 * the cluster already matches the spec. Print it only through `review.redact`.
 */
export async function checkPlan(
  o: MakePlanOptions,
  connection: ConnectOptions = {},
): Promise<{ plan: Plan; review: Review | null }> {
  const { plan, secrets, dir } = await (await import('./plan/make.js')).checkPlan(o);
  if (plan.nothingToDo) return { plan, review: null };
  return { plan, review: await (await import('./plan/dry-run.js')).reviewOf(plan, dir, secrets, connection) };
}

export type { RotatePlanOptions } from './plan/rotate-make.js';

/** `plan --rotate`: makes and saves a plan that gives roles new passwords through a pair of logins, with 0 failed consumer connections. */
export async function rotate(
  o: import('./plan/rotate-make.js').RotatePlanOptions,
): Promise<{ plan: Plan; dir: string }> {
  return (await import('./plan/rotate-make.js')).makeRotationPlan(o);
}

/** `plan --tls`: makes and saves the TLS plan (server TLS, consumers to verify-full, hostssl); nothing on the server changes. */
export async function tlsPlan(
  o: import('./plan/tls-make.js').TlsPlanOptions,
): Promise<{ plan: Plan; dir: string | null }> {
  return (await import('./plan/tls-make.js')).makeTlsPlan(o);
}

/** `plan --renew-certificate`: a new server certificate from the CA of the applied TLS plan, installed by reload. */
export async function renewCertificatePlan(
  o: import('./plan/tls-make.js').TlsPlanOptions & { from?: string },
): Promise<{ plan: Plan; dir: string }> {
  return (await import('./plan/tls-renew.js')).makeRenewPlan(o);
}

/** The dry run of a saved plan against the live cluster (the plan's own target unless one is given). */
export async function review(dir: string, connection: ConnectOptions = {}): Promise<Review> {
  return (await import('./plan/dry-run.js')).reviewPlan(dir, connection);
}

/** Refuses (exit 3) `--cluster`/`--dsn` that name another server than the saved plan's own. */
export async function checkPlanTarget(
  plan: Plan,
  dir: string,
  connection: ConnectOptions,
  verb: string,
): Promise<void> {
  (await import('./plan/target-check.js')).checkPlanTarget(plan, dir, connection, verb);
}

/** Loads and checks a saved plan (id and signature). */
export async function loadPlan(dir: string): Promise<Plan> {
  return (await import('./plan/store.js')).loadPlan(dir);
}

/** Carries out a saved plan, resuming where a previous run stopped. */
export async function apply(dir: string, o: ApplyOptions): Promise<ApplyResult> {
  return (await import('./execute/apply-plan.js')).applyPlan(dir, o);
}

/** Each step's state, from the journal; `warnings`: what the files show that the journal does not record. */
export async function status(
  dir: string,
): Promise<{ plan: Plan; steps: { id: string; stage: string; state: StepState }[]; warnings: string[] }> {
  const [{ loadPlan: load }, { openJournal }, { journalEvidence }, { join }, { existsSync }] = await Promise.all([
    import('./plan/store.js'),
    import('./execute/journal.js'),
    import('./execute/journal-evidence.js'),
    import('node:path'),
    import('node:fs'),
  ]);
  const p = load(dir);
  const journal = openJournal(join(dir, 'journal'));
  // Before apply started (no run in the journal, no backup taken) there is nothing the journal should hold.
  const applied = journal.records.some((r) => r.type === 'run-start') || existsSync(join(dir, 'backup'));
  const { warnings } = applied ? await journalEvidence(p, journal) : { warnings: [] };
  return {
    plan: p,
    steps: p.steps.map((s) => ({ id: s.id, stage: s.stage, state: journal.stepState(s.id) })),
    warnings,
  };
}

/** Puts everything back: files first (no login needed), then SQL. */
export async function rollback(
  dir: string,
  log: (line: string) => void,
  o: RollbackOptions & { keepDrillHistory?: boolean } = {},
): Promise<RollbackResult> {
  // A `pitr enable` plan's rollback also settles its runbook, metrics, drill history and repository.
  return (await import('./pitr/rollback-cleanup.js')).rollbackWithCleanup(dir, log, o);
}

/** The nightly verified backup: dumps, restore drill, retention, off-box copy, metrics. */
export async function backup(o: BackupJobOptions): Promise<BackupJobResult> {
  return (await import('./backup/job.js')).backupJob(o);
}

export type { PitrDrillOptions, PitrDrillResult } from './pitr/drill-run.js';
export type { RunbookOptions } from './pitr/runbook-make.js';

/** Restores the pgBackRest repository to a point in time on a scratch server and compares every table. */
export async function pitrDrill(
  o: import('./pitr/drill-run.js').PitrDrillOptions,
): Promise<import('./pitr/drill-run.js').PitrDrillResult> {
  return (await import('./pitr/drill-run.js')).pitrDrill(o);
}

/** This cluster's disaster-recovery runbook (Markdown), written to `out` when given. */
export async function runbook(o: import('./pitr/runbook-make.js').RunbookOptions) {
  return (await import('./pitr/runbook-make.js')).writeRunbook(o);
}

export type { ConfRow, InspectOptions } from './api/inspect-api.js';
export type { WhoAnswer } from './api/who-answer.js';

/** pg_hba.conf as PostgreSQL reads it (the rows of pg_hba_file_rules). */
export async function inspectHba(o: import('./api/inspect-api.js').InspectOptions = {}) {
  return (await import('./api/inspect-api.js')).inspectHba(o);
}

/** postgresql.conf and its includes as PostgreSQL reads them (the rows of pg_file_settings). */
export async function inspectConf(o: import('./api/inspect-api.js').InspectOptions = {}) {
  return (await import('./api/inspect-api.js')).inspectConf(o);
}

/** Which pg_hba.conf rule a connection hits, and its method. */
export async function inspectWho(o: Parameters<typeof import('./api/inspect-api.js').inspectWho>[0]) {
  return (await import('./api/inspect-api.js')).inspectWho(o);
}

/** The verification report of an apply, as text. */
export async function reportText(p: Plan, steps: readonly StepReport[]): Promise<string> {
  return (await import('./execute/report.js')).renderReport(p, steps);
}

/** The drill's comparison table of a verified backup. */
export async function drillTable(b: VerifiedBackup): Promise<string[][]> {
  return (await import('./backup/verified.js')).drillTable(b);
}

/** Connection strings found under directories (passwords redacted). */
export async function scanConsumers(dirs: readonly string[]) {
  return (await import('./consumers/discover.js')).scanDirs(dirs);
}

export type { TableProposal, UsageEvidence } from './cluster/table-usage.js';

/** Per table of a schema, read-write or read-only for a login role's replacement, from evidence (pg_stat_statements, pg_stat_user_tables, names, comments). */
export async function tableUsage(o: Parameters<typeof import('./cluster/table-usage.js').tableUsage>[0]) {
  return (await import('./cluster/table-usage.js')).tableUsage(o);
}

/** Refuses, naming the package, when no pg_dump/pg_restore fits a server of this major. */
export async function checkBackupTools(major: number): Promise<void> {
  (await import('./cluster/client-tools.js')).findClientTools(major);
}

export type { ProbeResult, ProbeTarget } from './hba/probe.js';

/** What the server answers a startup packet from a chosen address (no password is ever sent). */
export async function probe(t: import('./hba/probe.js').ProbeTarget): Promise<import('./hba/probe.js').ProbeResult> {
  return (await import('./hba/probe.js')).probe(t);
}
/** The PostgreSQL installations this machine has (system packages and npm). */
export async function installs() {
  return (await import('./cluster/install.js')).listInstalls();
}

export type { EnableOptions } from './pitr/enable.js';

/** `pitr enable`: makes and saves the pgBackRest set-up plan (nothing on the server changes); review, apply and rollback take it like any plan. */
export async function pitrEnable(o: import('./pitr/enable.js').EnableOptions): Promise<{ plan: Plan; dir: string }> {
  return (await import('./pitr/enable.js')).makeEnablePlan(o);
}

export type { PitrBackupOptions, PitrBackupResult } from './pitr/repo-backup.js';

/** `pitr backup`: pgbackrest backup for the stanza the live archive_command names, recorded in the metrics file. */
export async function pitrBackup(
  o: import('./pitr/repo-backup.js').PitrBackupOptions,
): Promise<import('./pitr/repo-backup.js').PitrBackupResult> {
  return (await import('./pitr/repo-backup.js')).pitrBackup(o);
}

export type { DriftOptions, DriftResult } from './drift/drift-check.js';
export type { Difference, DriftKind } from './drift/drift-types.js';
export type { DriftTimerFiles, DriftTimerOptions } from './drift/timer.js';

/** `drift`: the live cluster against its desired state (an applied plan's end state, or a spec); read-only but for `metrics`. */
export async function drift(
  o: import('./drift/drift-check.js').DriftOptions,
): Promise<import('./drift/drift-check.js').DriftResult> {
  return (await import('./drift/drift-check.js')).driftCheck(o);
}

/** The systemd service + timer (and cron line) that run drift nightly; written when `write`, else only returned. */
export async function driftTimer(
  o: import('./drift/timer.js').DriftTimerOptions & { write: boolean },
): Promise<import('./drift/timer.js').DriftTimerFiles> {
  const t = await import('./drift/timer.js');
  return o.write ? t.installDriftTimer(o) : t.driftTimerFiles(o);
}
