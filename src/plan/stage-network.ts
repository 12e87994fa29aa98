/**
 * What the network stages share: the files the plan touches and their backups, the two edits of
 * pg_hba.conf (the final file is an edit of the canary file, itself an edit of the original, so
 * every line of the original is kept or changed with a `# pgharden:` note), a pg_hba.conf write
 * step validated with pg_hba_file_rules before its reload, and the reload step.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { parseHba } from '../conf/hba.js';
import type { HbaLine } from '../conf/hba-types.js';
import type { FileBinding } from './binding.js';
import { withCanary } from './canary.js';
import { canaryNeeds } from './delta.js';
import { hardenHba, type HbaChange } from './hba-edit.js';
import type { PlanInput } from './input.js';
import type { Action, Check, Source, State, Step } from './plan-types.js';
import { step } from './step.js';

export const lines = (n: number) => `${n} line${n === 1 ? '' : 's'}`;

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The bytes pg_hba.conf gets for `text`: one per character when it was read as Latin-1. */
export const hbaBytes = (text: string, encoding: 'utf8' | 'latin1' = 'utf8') => Buffer.from(text, encoding);

export const hbaSha256 = (input: PlanInput, text: string) =>
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
    ...(input.configFacts.split && input.spec.configFileMode === 'auto' ? [input.configFacts.split.file] : []),
    ...(input.tls ? tlsFilesOf(input.tls) : []),
  ];
  return files.map(bindingOnly);
}

/** The files TLS adds to a hardening plan: the server's certificate and key, each consumer CA copy once. */
function tlsFilesOf(t: NonNullable<PlanInput['tls']>): FileBinding[] {
  const cas = new Map(Object.values(t.consumers).flatMap((c) => (c.ca ? [[c.ca.path, c.ca] as const] : [])));
  return [t.certFile, t.keyFile, ...cas.values()];
}

/** A file's binding without the other fields its record carries (text, settings). */
export const bindingOnly = ({ path, sha256, mode, uid, gid, link }: FileBinding): FileBinding => ({
  path,
  sha256,
  mode,
  uid,
  gid,
  ...(link ? { link } : {}),
});

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
  /** The file as it is now. */
  originalText: string;
  canaryText: string;
  finalText: string;
  finalLines: HbaLine[];
  changes: HbaChange[];
}

/** The canary and final pg_hba.conf texts. */
export function hbaEdits(input: PlanInput, superusers: string[]): HbaEdits {
  const canaryText = withCanary(input.hba.lines, canaryNeeds(input), input.spec.network.trustedRanges);
  const opts = { file: input.hba.file, context: input.snapshot.context };
  const { text: finalText, changes } = hardenHba(parseHba(canaryText, opts), {
    superusers,
    trustedRanges: input.spec.network.trustedRanges,
    adminRole: input.serverUser.name,
  });
  const originalText = input.hba.lines.map((l) => l.raw).join('');
  return { originalText, canaryText, finalText, finalLines: parseHba(finalText, opts), changes };
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

export function hbaStep(
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
  return step({
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
  });
}

export function reloadStep(id: string, stage: 'canary' | 'flip', description: string, verify: Check[]): Step {
  return step({
    id,
    stage,
    kind: 'reload',
    description,
    forward: { do: 'reload' },
    verify,
    undo: { do: 'reload' },
  });
}

/** Where the canary and flip probes leave from: a sample address of the first trusted range. */
export function probeSource(input: PlanInput): Extract<Source, { address: string }> {
  const range = input.spec.network.trustedRanges[0]!;
  return { address: sampleAddress(range), range };
}
