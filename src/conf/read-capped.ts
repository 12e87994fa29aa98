/**
 * Reading a file pgharden is pointed at (spec, pg_hba.conf and what it includes, consumer files):
 * only a regular file, and only up to a size no configuration file reaches, so `/dev/zero` is
 * refused instead of read until memory runs out, and a FIFO instead of waited on forever.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { InputError } from '../core/errors.js';

/** No configuration or consumer file is anywhere near this. */
export const MAX_READ_BYTES = 16 * 1024 * 1024;

/** A file pgharden will not read, and why. */
export class UnreadableFileError extends InputError {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly kind: 'directory' | 'not-regular' | 'too-large',
  ) {
    super(`${path} ${reason}`);
  }
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;

/** The bytes of a regular file of at most `limit` bytes; errors from open (ENOENT, EACCES) are thrown as they are. */
export function readCapped(path: string, limit = MAX_READ_BYTES): Buffer {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UnreadableFileError(path, 'is a directory', 'directory');
    if (!st.isFile())
      throw new UnreadableFileError(
        path,
        `is ${kindOf(st)}, not a regular file; pgharden reads only regular files`,
        'not-regular',
      );
    if (st.size > limit)
      throw new UnreadableFileError(
        path,
        `is ${mib(st.size)}, more than the ${mib(limit)} pgharden reads; no configuration file is that large`,
        'too-large',
      );
    // The file may grow while it is read: stop one byte past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit)
        throw new UnreadableFileError(
          path,
          `grew past the ${mib(limit)} pgharden reads while it was read`,
          'too-large',
        );
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
