/**
 * Crash-safe file writes: a temp file in the same directory, fsync, mode and owner set, rename
 * over the target, fsync of the directory. After a crash the target is either the old file or
 * the new one, never a torn mix; and the server can still read its pg_hba.conf after a write by
 * root, because the owner is kept. A symlink stays a link: its target is what is replaced.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface FileOwnership {
  mode?: number;
  uid?: number;
  gid?: number;
}

/** fsync of a directory, so a rename or unlink in it survives a power cut. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The file a write to `path` must replace: a symlink's final target (a link to a missing file
 * included), so the link stays a link and the file its readers open gets the new content.
 */
export function writeTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    if (lstatSync(path).isSymbolicLink()) return writeTarget(resolve(dirname(path), readlinkSync(path)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return path;
}

/**
 * Writes `data` to `path` atomically; mode and owner default to the existing file's. A symlink
 * is written through: the temp file is made in the target's directory and renamed over the target.
 */
export function writeFileAtomic(link: string, data: string | Buffer, opts: FileOwnership = {}): void {
  const path = writeTarget(link);
  let current: { mode: number; uid: number; gid: number } | undefined;
  try {
    const st = statSync(path);
    current = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const mode = opts.mode ?? current?.mode ?? 0o600;
  const uid = opts.uid ?? current?.uid;
  const gid = opts.gid ?? current?.gid;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.pgharden-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o600);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let at = 0; at < buf.length; ) at += writeSync(fd, buf, at);
    fsyncSync(fd);
    fchmodSync(fd, mode);
    const me = process.getuid?.();
    if (uid !== undefined && gid !== undefined && (uid !== me || gid !== process.getgid?.())) fchownSync(fd, uid, gid);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
    fsyncDir(dir);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never created, or already renamed.
    }
    throw new Error(
      `Cannot write ${link}${path === link ? '' : ` (through the link, ${path})`}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Makes `path` a symlink to `target` again (atomically: a new link renamed over whatever is there). */
export function restoreLink(path: string, target: string): void {
  try {
    if (lstatSync(path).isSymbolicLink() && realpathSync(path) === target) return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = join(dirname(path), `.${basename(path)}.pgharden-${process.pid}-${randomBytes(4).toString('hex')}.link`);
  symlinkSync(target, temp);
  renameSync(temp, path);
  fsyncDir(dirname(path));
}

/** Appends one line and fsyncs it (and the directory, when the file is new), before returning. */
export function appendLine(file: string, line: string): void {
  const created = !existsSync(file);
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, `${line}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (created) fsyncDir(dirname(file));
}
