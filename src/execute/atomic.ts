/**
 * Crash-safe file writes: a temp file in the same directory, fsync, mode and owner set, rename
 * over the target, fsync of the directory. After a crash the target is either the old file or
 * the new one, never a torn mix; and the server can still read its pg_hba.conf after a write by
 * root, because the owner is kept.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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

/** Writes `data` to `path` atomically; mode and owner default to the existing file's. */
export function writeFileAtomic(path: string, data: string | Buffer, opts: FileOwnership = {}): void {
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
    throw new Error(`Cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}
