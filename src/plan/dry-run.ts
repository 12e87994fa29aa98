/**
 * `pgharden review`'s core: the dry run. Checks the plan's binding against the live cluster and
 * its files (anything changed is drift, and apply would refuse), and lays out exactly what apply
 * would do now: each stage's steps, their SQL with secrets shown as `<redacted>`, a unified diff
 * for every file, what needs a restart, the predicted connection matrices and the rollback.
 * Changes nothing.
 */
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { connect, type ConnectOptions } from '../connect/connect.js';
import { moveSettings, redactSettings } from '../conf/move-settings.js';
import { readCapped } from '../conf/read-capped.js';
import { redactPasswords } from '../consumers/redact.js';
import { rewriteWithParams, withConsumerParams } from '../consumers/tls-settings.js';
import { unifiedEditDiff } from './line-diff.js';
import { drift, observeFile, type Drift } from './binding.js';
import { readSecrets, type Secrets } from './secrets.js';
import { sha256 } from './stage-network.js';
import { loadPlan, SECRETS_FILE } from './store.js';
import {
  PITR_STAGES,
  SECRET_TOKEN,
  STAGES,
  TLS_STAGES,
  type Check,
  type Plan,
  type Source,
  type Stage,
  type Step,
} from './plan-types.js';

export interface FileDiff {
  step: string;
  path: string;
  /** Unified diff, secrets redacted; empty for a mode change. */
  diff: string;
  mode?: { before: number; after: number };
}

export interface Review {
  plan: Plan;
  dir: string;
  drift: Drift[];
  stages: {
    stage: Stage;
    steps: {
      id: string;
      kind: Step['kind'];
      description: string;
      sql: string[];
      checks: string[];
      restartRequired: boolean;
      transactional: boolean;
    }[];
  }[];
  diffs: FileDiff[];
  restartRequired: string[];
  /** Replaces every password and verifier of the plan with `<redacted>` (not part of the JSON). */
  redact: (text: string) => string;
}

const from = (s: Source) => (s === 'local' ? 'the local socket' : s.address);

/** One line per check, as the review shows it. */
export function describeCheck(c: Check): string {
  switch (c.check) {
    case 'auth':
      return `${c.user}@${c.database} from ${from(c.from)}${c.ssl ? ' inside TLS' : ''}, no password → ${c.expect}`;
    case 'login':
      return `${c.role}@${c.database} from ${from(c.from)} with its password → ${c.expect}`;
    case 'privilege':
      return `as ${c.role} in ${c.database}: ${c.sql} → ${c.expect}`;
    case 'consumer-dsn':
      return `${c.consumer}'s connection string in ${c.path} logs in`;
    case 'hba-valid':
      return `${c.path} has no error line in pg_hba_file_rules`;
    case 'setting':
      return `${c.name} = ${c.value}`;
    case 'wal-archived':
      return `a write, then pg_switch_wal(): the segment it closes reaches ${c.repo} (stanza ${c.stanza})`;
    case 'tls-handshake':
      return `a TLS handshake from ${from(c.from)}: the server presents the certificate sha256 ${c.sha256}`;
    case 'consumer-tls':
      return c.rogue
        ? `${c.consumer}'s connection string in ${c.path}, aimed at a listener with another certificate → refused by libpq`
        : `${c.consumer}'s connection string in ${c.path} logs in over TLS through libpq, as uid ${c.uid}`;
  }
}

/** SQL as the review shows it: each secret token becomes `<redacted>`. */
export function redactSql(statement: string): string {
  return statement.replace(SECRET_TOKEN, '<redacted>');
}

/** Text with every password of the plan replaced by `<redacted>`. */
export function redactSecrets(text: string, secrets: Secrets): string {
  let out = text;
  for (const s of Object.values(secrets))
    out = out.replaceAll(s.password, '<redacted>').replaceAll(s.verifier, '<redacted>');
  return out;
}

function unified(path: string, before: string, after: string, what: string): string {
  return createTwoFilesPatch(path, path, before, after, 'now', what, { context: 3 });
}

function readText(path: string, encoding: 'utf8' | 'latin1' = 'utf8'): string | null {
  try {
    return readCapped(path).toString(encoding);
  } catch {
    return null;
  }
}

/** What the live server says about the binding's identity. */
async function serverIdentity(connection: ConnectOptions) {
  const c = await connect(connection);
  try {
    const r = await c.query<{ id: string; dir: string; port: string }>(
      "SELECT (SELECT system_identifier::text FROM pg_control_system()) AS id, current_setting('data_directory') AS dir, current_setting('port') AS port",
    );
    const roles = await c.query<{ n: string }>('SELECT rolname AS n FROM pg_roles');
    return { ...r.rows[0]!, roles: new Set(roles.rows.map((x) => x.n)) };
  } finally {
    await c.end();
  }
}

/**
 * Reviews the plan in `dir` against the cluster reached with `connection`, or, when it names
 * nothing, the way the plan recorded.
 */
export async function reviewPlan(dir: string, connection: ConnectOptions = {}): Promise<Review> {
  const plan = loadPlan(dir);
  return reviewOf(plan, dir, readSecrets(join(dir, SECRETS_FILE), plan.secretsSha256), connection);
}

/**
 * Reviews a plan held in memory with its secrets (`plan --check`, which saves nothing; `dir` is
 * where it would be saved), or a saved one: reads the live cluster and files, writes nothing.
 */
export async function reviewOf(
  plan: Plan,
  dir: string,
  secrets: Secrets,
  connection: ConnectOptions = {},
): Promise<Review> {
  if (connection.dsn === undefined && connection.cluster === undefined) connection = { ...connection, ...plan.target };
  const server = await serverIdentity(connection);
  const now = {
    systemIdentifier: server.id,
    dataDirectory: server.dir,
    port: Number(server.port),
    files: plan.binding.files.map((f) => observeFile(f.path)),
  };
  const drifts = drift(plan.binding, now);
  // The roles the plan creates (day two takes the others over as they are).
  for (const st of plan.steps.flatMap((x) => x.before)) {
    if (st.of === 'role' && !st.exists && server.roles.has(st.name))
      drifts.push({ item: `role ${st.name}`, planned: 'absent (the plan creates it)', now: 'exists' });
  }

  const diffs: FileDiff[] = [];
  const hbaEncoding = plan.steps
    .map((s) => s.forward)
    .find((f) => f.do === 'write-file' && f.path === plan.server.hbaFile && f.encoding)
    ? 'latin1'
    : 'utf8';
  // Each written file as the steps before leave it (pg_hba.conf is written more than once).
  const contentNow = new Map<string, string>([[plan.server.hbaFile, readText(plan.server.hbaFile, hbaEncoding) ?? '']]);
  for (const step of plan.steps) {
    const f = step.forward;
    if (f.do === 'write-file') {
      const before = contentNow.get(f.path) ?? readText(f.path, f.encoding === 'latin1' ? 'latin1' : 'utf8') ?? '';
      // Diffed line by line, in time linear in the file's size.
      diffs.push({
        step: step.id,
        path: f.path,
        diff: unifiedEditDiff(f.path, before, f.content, 'now', `after ${step.id}`),
      });
      contentNow.set(f.path, f.content);
    } else if (f.do === 'copy-settings' || f.do === 'comment-settings') {
      // The values hold a password: the review shows the lines with the values redacted.
      const path = f.do === 'copy-settings' ? f.from : f.path;
      const text = contentNow.get(path) ?? readText(path) ?? '';
      const moved = moveSettings(text, path, f.names, f.to);
      if (f.do === 'copy-settings') {
        const shown = redactSettings(moved.moved, f.to, f.names);
        diffs.push({ step: step.id, path: f.to, diff: unifiedEditDiff(f.to, '', shown, 'absent', `after ${step.id}`) });
      } else {
        const diff = unifiedEditDiff(path, redactSettings(text, path, f.names), moved.kept, 'now', `after ${step.id}`);
        diffs.push({ step: step.id, path, diff });
        contentNow.set(path, moved.kept);
      }
    } else if (f.do === 'chmod') {
      const before = step.before[0]?.of === 'file' ? step.before[0].mode : null;
      diffs.push({ step: step.id, path: f.path, diff: '', mode: { before: before ?? 0, after: f.mode } });
    } else if (f.do === 'rewrite-consumer') {
      const text = readText(f.path);
      if (text === null) continue;
      const rewritten = rewriteWithParams(f.path, text, {
        ...(f.key ? { key: f.key } : {}),
        format: f.format,
        user: f.role,
        password: secrets[f.role]!.password,
        ...(f.params ? { params: f.params } : {}),
      });
      const planned = step.after[0]?.of === 'file' ? step.after[0].sha256 : null;
      if (planned !== sha256(rewritten) && !drifts.some((d) => d.item.startsWith(f.path))) {
        drifts.push({
          item: `${f.path} rewrite`,
          planned: `sha256 ${planned?.slice(0, 12)}…`,
          now: `sha256 ${sha256(rewritten).slice(0, 12)}…`,
        });
      }
      contentNow.set(f.path, rewritten);
      diffs.push({
        step: step.id,
        path: f.path,
        // The old password and any other secret in the file's context lines are redacted too.
        diff: redactSecrets(
          unified(
            f.path,
            redactPasswords(text, f.path, f.format),
            redactPasswords(rewritten, f.path, f.format),
            `after ${step.id}`,
          ),
          secrets,
        ),
      });
    } else if (f.do === 'consumer-params') {
      // The TLS plan's consumer edit: its diff with every password in the file redacted.
      // In a hardening plan it follows the file's rewrite: the diff is against the rewritten text.
      const text = contentNow.get(f.path) ?? readText(f.path);
      if (text === null) continue;
      const moved = withConsumerParams(f.path, text, { ...(f.key ? { key: f.key } : {}), format: f.format }, f.params);
      contentNow.set(f.path, moved);
      const hide = (t: string) => redactPasswords(t, f.path, f.format);
      diffs.push({
        step: step.id,
        path: f.path,
        diff: redactSecrets(unified(f.path, hide(text), hide(moved), `after ${step.id}`), secrets),
      });
    }
  }

  const stages = (plan.purpose === 'pitr' ? PITR_STAGES : plan.purpose === 'tls' ? TLS_STAGES : STAGES)
    .map((stage) => ({
      stage,
      steps: plan.steps
        .filter((s) => s.stage === stage)
        .map((s) => ({
          id: s.id,
          kind: s.kind,
          description: s.description,
          restartRequired: s.restartRequired,
          transactional: s.transactional,
          sql: s.forward.do === 'sql' ? s.forward.statements.map(redactSql) : [],
          checks: [...(s.forward.do === 'probe' ? s.forward.checks : []), ...s.verify].map(describeCheck),
        })),
    }))
    // A hardening plan has a server-tls stage only when it carries the spec's tls section.
    .filter((st) => plan.purpose || st.stage !== 'server-tls' || st.steps.length);
  const restartRequired = plan.steps.filter((s) => s.restartRequired).map((s) => `${s.id}: ${s.description}`);
  return { plan, dir, drift: drifts, stages, diffs, restartRequired, redact: (text) => redactSecrets(text, secrets) };
}
