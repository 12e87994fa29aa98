/**
 * What ties a plan to the cluster it was made from: the server's system_identifier, data
 * directory and port, and the sha256, mode and owner of every file the plan touches. `review` and
 * `apply` refuse a plan whose binding no longer holds, naming each drifted item (exit 3).
 */
import { createHash } from 'node:crypto';
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { readCapped } from '../conf/read-capped.js';

export interface FileBinding {
  path: string;
  /** Null when the file did not exist when the plan was made. */
  sha256: string | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  /** When `path` is a symlink: the file it resolves to. Writes go through it; rollback puts the link back if it was replaced. */
  link?: string;
}

export interface Binding {
  systemIdentifier: string;
  dataDirectory: string;
  port: number;
  files: FileBinding[];
}

/** One thing that is no longer as the plan recorded it. */
export interface Drift {
  item: string;
  planned: string;
  now: string;
}

/** A file's identity now (content hash, mode, owner), or nulls when it does not exist. */
export function observeFile(path: string): FileBinding {
  try {
    const st = statSync(path);
    const link = lstatSync(path).isSymbolicLink() ? realpathSync(path) : undefined;
    return {
      path,
      sha256: createHash('sha256').update(readCapped(path)).digest('hex'),
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      ...(link ? { link } : {}),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { path, sha256: null, mode: null, uid: null, gid: null };
    throw err;
  }
}

const octal = (m: number | null) => (m === null ? 'absent' : m.toString(8).padStart(4, '0'));

/** Every difference between the binding a plan recorded and the one observed now. */
export function drift(planned: Binding, now: Binding): Drift[] {
  const out: Drift[] = [];
  if (planned.systemIdentifier !== now.systemIdentifier) {
    out.push({
      item: 'system_identifier (another cluster answers at this address)',
      planned: planned.systemIdentifier,
      now: now.systemIdentifier,
    });
  }
  if (planned.dataDirectory !== now.dataDirectory)
    out.push({ item: 'data_directory', planned: planned.dataDirectory, now: now.dataDirectory });
  if (planned.port !== now.port) out.push({ item: 'port', planned: String(planned.port), now: String(now.port) });
  const current = new Map(now.files.map((f) => [f.path, f]));
  for (const f of planned.files) {
    const n = current.get(f.path) ?? { path: f.path, sha256: null, mode: null, uid: null, gid: null };
    if (f.sha256 !== n.sha256) {
      out.push({
        item: `${f.path} content`,
        planned: f.sha256 === null ? 'absent' : `sha256 ${f.sha256.slice(0, 12)}…`,
        now: n.sha256 === null ? 'absent' : `sha256 ${n.sha256.slice(0, 12)}…`,
      });
    }
    if (f.mode !== n.mode && n.sha256 !== null && f.sha256 !== null)
      out.push({ item: `${f.path} mode`, planned: octal(f.mode), now: octal(n.mode) });
    if ((f.link ?? null) !== (n.link ?? null) && n.sha256 !== null && f.sha256 !== null) {
      out.push({
        item: `${f.path} symlink`,
        planned: f.link ? `a link to ${f.link}` : 'not a link',
        now: n.link ? `a link to ${n.link}` : 'not a link',
      });
    }
    if ((f.uid !== n.uid || f.gid !== n.gid) && n.sha256 !== null && f.sha256 !== null) {
      out.push({ item: `${f.path} owner`, planned: `${f.uid}:${f.gid}`, now: `${n.uid}:${n.gid}` });
    }
  }
  return out;
}

/** A drift report a DBA can act on. */
export function describeDrift(planFile: string, drifts: Drift[]): string {
  return [
    `The plan ${planFile} no longer matches the cluster (${drifts.length} item${drifts.length === 1 ? '' : 's'} changed since it was made):`,
    ...drifts.map((d) => `  - ${d.item}: planned ${d.planned}, now ${d.now}`),
    'Make a new plan from the current state (pgharden plan --spec ...), or put the items back as they were.',
  ].join('\n');
}
