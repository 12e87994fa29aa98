/**
 * Stages `canary` and `flip`: the two edits of pg_hba.conf, each validated with
 * pg_hba_file_rules before the reload that puts it in force, then proven by probes; and the
 * config file modes. The final file is an edit of the canary file (itself an edit of the
 * original), so every line of the original is kept or changed with a `# pgharden:` note.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { parseHba } from '../conf/hba.js';
import type { HbaLine } from '../conf/hba-types.js';
import type { FileBinding } from './binding.js';
import { withCanary } from './canary.js';
import { hardenHba, type HbaChange } from './hba-edit.js';
import type { PlanInput } from './input.js';
import type { Action, Check, Source, State, Step } from './types.js';

const lines = (n: number) => `${n} line${n === 1 ? '' : 's'}`;

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The bytes pg_hba.conf gets for `text`: one per character when it was read as Latin-1. */
export const hbaBytes = (text: string, encoding: 'utf8' | 'latin1' = 'utf8') => Buffer.from(text, encoding);

const hbaSha256 = (input: PlanInput, text: string) =>
  createHash('sha256').update(hbaBytes(text, input.hba.encoding)).digest('hex');

export const fileState = (f: FileBinding): State => ({
  of: 'file',
  path: f.path,
  sha256: f.sha256,
  mode: f.mode,
  uid: f.uid,
  gid: f.gid,
});

/** Every file the plan may change, in backup order: pg_hba.conf first, consumer files last. */
export function touchedFiles(input: PlanInput): FileBinding[] {
  const files = [
    input.hba.binding,
    input.configFile,
    input.autoConf,
    ...(input.identFile ? [input.identFile] : []),
    ...input.consumers.map((c) => c.binding),
  ];
  return files.map(({ path, sha256, mode, uid, gid, link }) => ({
    path,
    sha256,
    mode,
    uid,
    gid,
    ...(link ? { link } : {}),
  }));
}

/** Where the preflight backup keeps a file, relative to the plan directory: numbered in binding order, so equal base names stay apart. */
export function backupPath(files: readonly { path: string }[], path: string): string {
  const i = files.findIndex((f) => f.path === path);
  if (i === -1) throw new Error(`internal: ${path} is not a file the plan touches`);
  return `backup/${String(i + 1).padStart(2, '0')}-${basename(path)}`;
}

export const backupFor = (input: PlanInput, path: string) => backupPath(touchedFiles(input), path);

/** The undo that puts a bound file back from the preflight backup (a symlink as a link to its target). */
export const restoreUndo = (input: PlanInput, f: FileBinding): Action => ({
  do: 'restore-file',
  path: f.path,
  backup: backupFor(input, f.path),
  ...(f.link ? { link: f.link } : {}),
});

/** An address inside a CIDR range to probe from: its first host. */
export function sampleAddress(cidr: string): string {
  const [addr, bits] = cidr.split('/') as [string, string];
  if (addr.includes(':')) return addr.endsWith('::') ? `${addr}1` : addr;
  const n = addr
    .split('.')
    .map(Number)
    .reduce((a, b) => a * 256 + b, 0);
  const size = 2 ** (32 - Number(bits));
  const host = size > 2 ? n - (n % size) + 1 : n;
  return [24, 16, 8, 0].map((s) => Math.floor(host / 2 ** s) % 256).join('.');
}

export interface HbaEdits {
  canaryText: string;
  finalText: string;
  finalLines: HbaLine[];
  changes: HbaChange[];
}

/** The canary and final pg_hba.conf texts. */
export function hbaEdits(input: PlanInput, superusers: string[]): HbaEdits {
  const canaryText = withCanary(input.hba.lines, input.spec.roles, input.spec.network.trustedRanges);
  const opts = { file: input.hba.file, context: input.snapshot.context };
  const { text: finalText, changes } = hardenHba(parseHba(canaryText, opts), {
    superusers,
    trustedRanges: input.spec.network.trustedRanges,
    adminRole: input.serverUser.name,
  });
  return { canaryText, finalText, finalLines: parseHba(finalText, opts), changes };
}

/** A config file's mode after the flip: no access for others; group read only where a group other than the server's needs it. */
export function hardenedMode(f: FileBinding, serverGid: number): number | null {
  if (f.mode === null || (f.mode & 0o007) === 0) return null;
  return (f.mode & 0o040) !== 0 && f.gid !== serverGid ? 0o640 : 0o600;
}

/**
 * The undo of an ALTER SYSTEM: postgresql.auto.conf put back as it was (no login needed; the
 * reload after the restore makes it so). Only when the file did not exist does the undo need SQL.
 */
export function autoConfUndo(input: PlanInput, name: string): Action {
  if (input.autoConf.sha256 !== null) return restoreUndo(input, input.autoConf);
  return { do: 'sql', database: 'postgres', statements: [`ALTER SYSTEM RESET ${name}`] };
}

function hbaStep(
  input: PlanInput,
  id: string,
  stage: 'canary' | 'flip',
  description: string,
  content: string,
  before: string | null,
): Step {
  const h = input.hba.binding;
  const beforeState: State =
    before === null ? fileState(h) : ({ ...fileState(h), sha256: hbaSha256(input, before) } as State);
  return {
    id,
    stage,
    kind: 'file',
    description,
    forward: {
      do: 'write-file',
      path: h.path,
      content,
      mode: h.mode!,
      uid: h.uid!,
      gid: h.gid!,
      ...(input.hba.encoding === 'latin1' ? { encoding: 'latin1' as const } : {}),
    },
    verify: [{ check: 'hba-valid', path: h.path }],
    undo: restoreUndo(input, h),
    before: [beforeState],
    after: [{ ...fileState(h), sha256: hbaSha256(input, content) } as State],
    transactional: false,
    restartRequired: false,
  };
}

function reloadStep(id: string, stage: 'canary' | 'flip', description: string, verify: Check[]): Step {
  return {
    id,
    stage,
    kind: 'reload',
    description,
    forward: { do: 'reload' },
    verify,
    undo: { do: 'reload' },
    before: [{ of: 'none' }],
    after: [{ of: 'none' }],
    transactional: false,
    restartRequired: false,
  };
}

export function canarySteps(input: PlanInput, edits: HbaEdits): Step[] {
  const from: Source = {
    address: sampleAddress(input.spec.network.trustedRanges[0]!),
    range: input.spec.network.trustedRanges[0]!,
  };
  const steps: Step[] = [
    hbaStep(
      input,
      'canary/hba',
      'canary',
      `Add one scram-sha-256 rule per new role and trusted range above the existing rules of ${input.hba.file} (${lines(input.spec.roles.length * input.spec.network.trustedRanges.length)}); validated with pg_hba_file_rules before the reload`,
      edits.canaryText,
      null,
    ),
    reloadStep(
      'canary/reload',
      'canary',
      `Reload the configuration so the canary rules${input.snapshot.settings.password_encryption === 'scram-sha-256' ? '' : ' and password_encryption'} take effect`,
      [],
    ),
  ];
  for (const r of input.spec.roles) {
    const database = r.databases[0]!;
    steps.push({
      id: `canary/probe-${r.name}`,
      stage: 'canary',
      kind: 'probe',
      description: `Prove ${r.name}'s password under scram-sha-256 from ${from.address}: without a password the server asks for one; with it, the login works`,
      forward: {
        do: 'probe',
        checks: [
          { check: 'auth', user: r.name, database, from, expect: 'password-required' },
          { check: 'login', role: r.name, database, from, expect: 'ok' },
        ],
      },
      verify: [],
      undo: null,
      before: [{ of: 'none' }],
      after: [{ of: 'none' }],
      transactional: false,
      restartRequired: false,
    });
  }
  return steps;
}

export function flipSteps(input: PlanInput, edits: HbaEdits, superusers: string[]): Step[] {
  const from: Source = {
    address: sampleAddress(input.spec.network.trustedRanges[0]!),
    range: input.spec.network.trustedRanges[0]!,
  };
  const steps: Step[] = [
    hbaStep(
      input,
      'flip/hba',
      'flip',
      `Flip ${input.hba.file}: trust, password and md5 over the network become scram-sha-256, wide ranges are narrowed to the trusted ranges, superusers are rejected over the network, local peer is kept for ${input.serverUser.name} (${lines(edits.changes.length)} changed or added)`,
      edits.finalText,
      edits.canaryText,
    ),
  ];
  const files = [input.configFile, input.hba.binding, ...(input.identFile ? [input.identFile] : [])];
  for (const f of files) {
    const wanted = f === input.configFile ? input.spec.configFileMode : '0600';
    const hardened = hardenedMode(f, input.serverUser.gid);
    const mode = wanted === 'keep' || hardened === null ? null : wanted === '0640' ? 0o640 : hardened;
    if (mode === null) continue;
    // pg_hba.conf holds the flipped text by now; the others are as bound.
    const content = f.path === input.hba.file ? hbaSha256(input, edits.finalText) : f.sha256;
    steps.push({
      id: `flip/mode-${basename(f.path)}`,
      stage: 'flip',
      kind: 'file',
      description: `chmod ${mode.toString(8).padStart(4, '0')} ${f.path} (now ${f.mode!.toString(8).padStart(4, '0')}: readable by every account on the host)`,
      forward: { do: 'chmod', path: f.path, mode },
      verify: [],
      undo: { do: 'chmod', path: f.path, mode: f.mode! },
      before: [{ ...fileState(f), sha256: content } as State],
      after: [{ ...fileState(f), sha256: content, mode } as State],
      transactional: false,
      restartRequired: false,
    });
  }
  const listen = input.spec.network.listenAddresses;
  if (listen !== undefined) {
    steps.push({
      id: 'flip/listen-addresses',
      stage: 'flip',
      kind: 'sql',
      description: `Write listen_addresses = '${listen}' with ALTER SYSTEM. RESTART REQUIRED: it takes effect only when the server restarts, which pgharden does not do`,
      forward: {
        do: 'sql',
        database: 'postgres',
        statements: [`ALTER SYSTEM SET listen_addresses = '${listen.replaceAll("'", "''")}'`],
      },
      verify: [],
      undo: autoConfUndo(input, 'listen_addresses'),
      before: [
        { of: 'auto-setting', name: 'listen_addresses', value: input.autoConf.settings.listen_addresses ?? null },
      ],
      after: [{ of: 'auto-setting', name: 'listen_addresses', value: listen }],
      transactional: false,
      restartRequired: true,
    });
  }
  const su = superusers[0];
  steps.push(
    reloadStep('flip/reload', 'flip', 'Reload so the flipped rules are in force, then confirm by probe', [
      ...(su ? [{ check: 'auth' as const, user: su, database: 'postgres', from, expect: 'refused' as const }] : []),
      ...input.spec.roles.map((r) => ({
        check: 'auth' as const,
        user: r.name,
        database: r.databases[0]!,
        from,
        expect: 'password-required' as const,
      })),
    ]),
  );
  return steps;
}
