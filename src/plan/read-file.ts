/**
 * Reading a file pgharden will edit, bounded: it must be a regular file (a symlink is followed to
 * its target) no larger than a cap. A FIFO would block the read forever and a device such as
 * /dev/zero never ends, so the kind and size are checked on the open descriptor before reading.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Files pgharden edits are read whole; anything bigger is refused rather than read. */
export const MAX_EDITED_FILE_BYTES = 16 * 1024 * 1024;

/** Why a path cannot be read as a regular, bounded file (the message names the path and the reason). */
export class UnreadableFileError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path} ${reason}`);
    this.name = 'UnreadableFileError';
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a plain file';
}

/** The bytes of a regular file of at most `max` bytes; UnreadableFileError otherwise. */
export function readRegularFile(path: string, max = MAX_EDITED_FILE_BYTES): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UnreadableFileError(path, `cannot be read (${e.code ?? e.message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnreadableFileError(path, `is not a regular file (${kindOf(st)})`);
    if (st.size > max) throw new UnreadableFileError(path, `is larger than ${max / 1024 / 1024} MiB (${st.size} bytes); pgharden edits files whole and refuses bigger ones`);
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}
