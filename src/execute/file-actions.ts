/**
 * The file actions of a plan: a candidate pg_hba.conf written and checked by the server before
 * anything reloads it, the preflight copy of every file, and a file put back from that copy.
 */
import { FAILED_ROWS_SQL } from '../conf/hba-failures.js';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { restoreLink, writeFileAtomic } from '../core/atomic.js';
import { moveSettings } from '../conf/move-settings.js';
import { observeFile } from '../plan/binding.js';
import type { Action } from '../plan/plan-types.js';
import type { RunContext } from './runners.js';
import { StepError } from './step-error.js';

/** Writes a candidate pg_hba.conf, validates it with the server, and puts the old one back on any error line. */
export async function writeHba(
  path: string,
  content: Buffer,
  mode: number,
  uid: number,
  gid: number,
  x: RunContext,
): Promise<void> {
  const previous = readFileSync(path);
  const st = statSync(path);
  writeFileAtomic(path, content, { mode, uid, gid });
  const bad = await x.admin.query<{ line_number: number; error: string }>(FAILED_ROWS_SQL);
  if (bad.length) {
    writeFileAtomic(path, previous, { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    throw new StepError(
      `The candidate ${path} has error lines (${bad.map((b) => `line ${b.line_number}: ${b.error}`).join('; ')}); the previous file is back and nothing was reloaded`,
      true,
    );
  }
}

/** Copies each file into the plan's backup directory with its mode and owner, and the role set. */
export function backup(a: Extract<Action, { do: 'backup' }>, x: RunContext): Promise<void> {
  mkdirSync(join(x.dir, 'backup'), { recursive: true, mode: 0o700 });
  for (const f of a.files) {
    const target = join(x.dir, f.backup);
    const st = statSync(f.path);
    copyFileSync(f.path, target);
    chmodSync(target, st.mode & 0o7777);
    if (process.getuid?.() === 0) chownSync(target, st.uid, st.gid);
  }
  return x.admin
    .query(
      'SELECT rolname, rolsuper, rolcanlogin, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles ORDER BY 1',
    )
    .then((roles) => {
      writeFileAtomic(join(x.dir, 'backup', 'roles.json'), `${JSON.stringify(roles, null, 2)}\n`, { mode: 0o600 });
    });
}

/**
 * Puts a file back from the plan's backup, byte for byte with its mode and owner; a file that was a
 * symlink is a link to the same target again, which gets the bytes. Nothing is written when the
 * file already is as saved. `want`: the sha256 the copy must have (rollback-backups.ts).
 */
export function restoreFile(
  a: Extract<Action, { do: 'restore-file' }>,
  dir: string,
  want?: ReadonlyMap<string, string[]>,
): void {
  const saved = join(dir, a.backup);
  let bytes: Buffer;
  let was: { mode: number; uid: number; gid: number };
  try {
    const st = statSync(saved);
    was = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    bytes = readFileSync(saved);
  } catch (err) {
    throw new StepError(
      `Cannot put ${a.path} back: its saved copy ${saved} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the file is left as it is`,
    );
  }
  // Checked again on the bytes about to be written (rollback checked every copy before the first write).
  const got = createHash('sha256').update(bytes).digest('hex');
  if (want?.get(a.backup)?.some((w) => w !== got))
    throw new StepError(
      `${saved} (the saved copy of ${a.path}) is not the copy apply saved (sha256 ${got}); ${a.path} is left as it is`,
    );
  const now = observeFile(a.path);
  const same =
    now.sha256 === got && now.mode === was.mode && now.uid === was.uid && now.gid === was.gid && now.link === a.link;
  if (same) return;
  if (a.link) restoreLink(a.path, a.link);
  writeFileAtomic(a.path, bytes, was);
}

/** A directory with its mode and owner (created with its parents when missing). */
export function makeDir(a: Extract<Action, { do: 'mkdir' }>): void {
  // A directory that appeared since the plan was made, someone else's and holding files, is not taken over.
  const st = statSync(a.path, { throwIfNoEntry: false });
  if (st && st.uid !== a.uid && (!st.isDirectory() || readdirSync(a.path).length > 0))
    throw new StepError(
      `${a.path} exists now, owned by uid ${st.uid}${st.isDirectory() ? ' with files in it' : ' and not a directory'}: pgharden does not take over what it did not create; nothing was changed there`,
      true,
    );
  mkdirSync(a.path, { recursive: true, mode: a.mode });
  if (process.getuid?.() === 0) chownSync(a.path, a.uid, a.gid);
  chmodSync(a.path, a.mode);
}

/** Removes a file (or an empty directory) the plan created; one already gone is fine. */
export function removeFile(a: Extract<Action, { do: 'remove-file' }>): void {
  let dir = false;
  try {
    dir = statSync(a.path).isDirectory();
  } catch {
    return;
  }
  if (!dir) return rmSync(a.path, { force: true });
  // A directory the plan made: removed only while empty (what someone put there since stays).
  try {
    rmdirSync(a.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err;
  }
}

/** Writes the named settings of postgresql.conf into their own file (mode and owner as planned). */
export function copySettings(a: Extract<Action, { do: 'copy-settings' }>): void {
  const { moved } = moveSettings(readFileSync(a.from, 'utf8'), a.from, a.names, a.to);
  writeFileAtomic(a.to, moved, { mode: a.mode, uid: a.uid, gid: a.gid });
}

/** Turns the named settings' lines into comments naming where they went; mode and owner kept. */
export function commentSettings(a: Extract<Action, { do: 'comment-settings' }>): void {
  const st = statSync(a.path);
  const { kept } = moveSettings(readFileSync(a.path, 'utf8'), a.path, a.names, a.to);
  writeFileAtomic(a.path, kept, { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
}
