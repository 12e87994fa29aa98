/**
 * Step runners: one per kind of action. SQL runs over the admin path (in one transaction when
 * the step says so, with logging and statistics off for statements carrying a verifier); files are
 * written atomically with their mode and owner kept; a candidate pg_hba.conf is checked with
 * pg_hba_file_rules before anything reloads it, and the previous file is put back on any error.
 */
import { chmodSync, readFileSync, statSync } from 'node:fs';
import type { BackupFault } from '../backup/verified.js';
import { rewriteWithParams } from '../consumers/tls-settings.js';
import type { Secrets } from '../plan/secrets.js';
import { consumerMode } from '../plan/stage-consumers.js';
import type { Action, Plan, Step } from '../plan/plan-types.js';
import type { AdminSession } from './admin.js';
import { writeFileAtomic } from '../core/atomic.js';
import { CommandError, run } from '../process/run.js';
import type { Journal } from './journal.js';
import { runVerifiedBackup } from './backup-step.js';
import { runChecks, type CheckContext, type CheckResult } from './run-checks.js';
import { backup, commentSettings, copySettings, makeDir, removeFile, restoreFile, writeHba } from './file-actions.js';
import { restartServer } from './restart.js';
import { StepError } from './step-error.js';

export { StepError };
import { drain, drainLine } from './drain.js';
import { runTlsFileAction } from './tls-actions.js';
import { runSql } from './sql-runner.js';

/**
 * Test-only faults (installed only by the test entry point, execute/fault-hook.ts): where a run kills itself as
 * a power cut would, which candidate pg_hba.conf gets an error line, which verified backup is spoilt.
 */
export interface Faults {
  kill?: { step: string; at: 'intent' | 'action' | 'done' };
  corruptHba?: string;
  backup?: { step: string; fault: BackupFault };
}

export interface RunContext {
  plan: Plan;
  dir: string;
  secrets: Secrets;
  admin: AdminSession;
  /** The run's journal (the restore drill records its scratch databases there). */
  journal: Journal;
  checks: CheckContext;
  /** Progress for the operator (never a secret). */
  log: (line: string) => void;
  /** How this run has the server re-read its configuration (apply: pg_reload_conf; rollback: a signal first, no login). */
  reload: () => Promise<void>;
  /** After a restart: the admin path opened again, with the run's locks (apply); absent: nothing to reopen. */
  reopen?: () => Promise<void>;
  faults?: Faults;
  /** Rollback: the sha256 each saved copy must have before it is written back (by its name under the plan directory). */
  savedSha256?: ReadonlyMap<string, string[]>;
}

/** A run's context: the checks reach the server where the plan says, with the consumers' files as planned. */
export function runContext(base: Omit<RunContext, 'checks'>): RunContext {
  const { plan, admin, secrets } = base;
  return {
    ...base,
    checks: {
      host: '127.0.0.1',
      port: plan.binding.port,
      admin,
      adminRole: plan.server.adminRole,
      secrets,
      consumers: new Map(plan.consumers.map((c) => [c.path, { ...(c.key ? { key: c.key } : {}), format: c.format }])),
      dir: base.dir,
    },
  };
}

/** Asks the server to reload and waits until the admin session sees the new load time. */
export async function reload(admin: AdminSession): Promise<void> {
  const [before] = await admin.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t');
  await admin.query('SELECT pg_reload_conf()');
  for (let i = 0; i < 400; i++) {
    const [now] = await admin.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t');
    if (now!.t !== before!.t) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new StepError('The server did not reload its configuration within 10 s; see its log');
}

/** The option lines of a secrets file (`write-file`'s appendFrom), its comments left out; '' without one. */
function appended(path: string | undefined): string {
  if (!path) return '';
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => `${l}\n`)
    .join('');
}

/** Carries out one action. Probes return their results; everything else returns []. */
export async function runAction(a: Action, step: Step, x: RunContext): Promise<CheckResult[]> {
  switch (a.do) {
    case 'sql':
      await runSql(a, step, x);
      return [];
    case 'write-file':
      // The corruptHba fault spoils the candidate, to prove it never reaches a reload.
      if (a.path === x.plan.server.hbaFile)
        await writeHba(
          a.path,
          Buffer.from(
            x.faults?.corruptHba === step.id ? `${a.content}host all all 10.0.0.0/33 trust\n` : a.content,
            a.encoding ?? 'utf8',
          ),
          a.mode,
          a.uid,
          a.gid,
          x,
        );
      else
        writeFileAtomic(a.path, Buffer.from(a.content + appended(a.appendFrom), a.encoding ?? 'utf8'), {
          mode: a.mode,
          uid: a.uid,
          gid: a.gid,
        });
      return [];
    case 'rewrite-consumer': {
      const st = statSync(a.path);
      const text = readFileSync(a.path, 'utf8');
      writeFileAtomic(
        a.path,
        rewriteWithParams(a.path, text, {
          ...(a.key ? { key: a.key } : {}),
          format: a.format,
          user: a.role,
          password: x.secrets[a.role]!.password,
          ...(a.params ? { params: a.params } : {}),
        }),
        { mode: consumerMode(st.mode & 0o7777, a.format), uid: st.uid, gid: st.gid },
      );
      return [];
    }
    case 'chmod':
      chmodSync(a.path, a.mode);
      return [];
    case 'copy-file':
    case 'consumer-params':
      runTlsFileAction(a, x.dir);
      return [];
    case 'copy-settings':
      copySettings(a);
      return [];
    case 'comment-settings':
      commentSettings(a);
      return [];
    case 'mkdir':
      makeDir(a);
      return [];
    case 'remove-file':
      removeFile(a);
      return [];
    case 'restart':
      // A restart ends every session: pgharden's own end first, so none dies under a query.
      await x.admin.end();
      await restartServer(x.plan.binding.dataDirectory);
      x.log('      the server restarted');
      await x.reopen?.();
      return [];
    case 'restore-file':
      restoreFile(a, x.dir, x.savedSha256);
      return [];
    case 'backup':
      await backup(a, x);
      return [];
    case 'verified-backup': {
      const fault = x.faults?.backup?.step === step.id ? x.faults.backup.fault : undefined;
      const b = await runVerifiedBackup(a, x.plan, x.dir, x.admin, x.journal, fault, x.log);
      x.log(`      ${b.summary}`);
      if (!b.ok) {
        const failed = b.results.filter((r) => r.outcome === 'fail');
        throw new StepError(
          `The restore drill failed, so the backup cannot be trusted and nothing was changed:\n${failed.map((f) => `  - ${f.description}${f.got && !f.description.includes(f.got) ? `: ${f.got}` : ''}`).join('\n')}`,
          false,
          b.results,
        );
      }
      return b.results;
    }
    case 'reload':
      await x.reload();
      return [];
    case 'command':
      try {
        const r = await run(a.argv[0]!, a.argv.slice(1), {
          timeoutMs: a.timeoutMs,
          ...(a.uid === undefined ? {} : { uid: a.uid, gid: a.gid, cwd: '/' }),
        });
        for (const l of `${r.stdout}${r.stderr}`.trim().split('\n').filter(Boolean).slice(-5)) x.log(`      | ${l}`);
      } catch (err) {
        throw err instanceof CommandError ? new StepError(err.message) : err;
      }
      return [];
    case 'gate':
      if (a.until.gate === 'admin-path') await x.admin.query('SELECT 1');
      if (a.until.gate === 'setting') {
        const [r] = await x.admin.query<{ v: string }>('SELECT current_setting($1) AS v', [a.until.name]);
        if (r!.v !== a.until.value)
          throw new StepError(
            `${a.until.name} is ${r!.v} in the running server, not ${a.until.value}: it takes effect only when the server restarts. Restart it with: ${a.until.advice}; then run pgharden apply ${x.dir} to continue`,
          );
      }
      if (a.until.gate === 'no-old-sessions') {
        const user = a.until.user;
        const left = await drain(x.admin, a.until, a.timeoutMs, (sessions, ms, changed) =>
          x.log(
            drainLine(
              user,
              sessions,
              ms,
              a.timeoutMs,
              changed,
              'reload or restart that client so it reads its new settings, or end it (SELECT pg_terminate_backend(pid))',
            ),
          ),
        );
        if (left.length)
          throw new StepError(
            `Sessions still on ${a.until.user} after ${a.timeoutMs / 1000} s: ${left.join(', ')}. Restart or reload those clients, then run apply again`,
          );
      }
      return [];
    case 'probe': {
      const results = await runChecks(a.checks, x.checks);
      const failed = results.filter((r) => r.outcome === 'fail');
      if (failed.length)
        throw new StepError(
          `${failed.length} check${failed.length === 1 ? '' : 's'} failed:\n${failed.map((f) => `  - ${f.description}: got ${f.got}`).join('\n')}`,
          false,
          results,
        );
      return results;
    }
    default:
      throw new Error(`internal: unknown action ${JSON.stringify(a)}`);
  }
}
