import { opendirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown by `listIncludeDir` when an entry of the directory cannot be stat'ed (a dangling link). */
export class IncludeDirStatError extends Error {
  readonly code = 'PGHARDEN_INCLUDE_DIR_STAT';
  /**
   * @param path the entry's full path, as the server's error "could not stat file "…"" names it.
   */
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`could not stat file "${path}"`, { cause });
  }
}

/**
 * The files an `include_dir` directive pulls in, in the order PostgreSQL reads them
 * (GetConfFilesInDir): names ending in `.conf` and not starting with `.`, sorted by byte
 * value of the name (strcmp, not locale order). Whatever is not a directory is taken, links
 * followed (so a link to a file counts); directories are not descended into.
 * Throws what `opendirSync` throws when the directory cannot be read, and an
 * `IncludeDirStatError` when an entry cannot be stat'ed: the server then fails the whole
 * directive and reads none of the directory's files.
 */
export function listIncludeDir(dir: string): string[] {
  const files: string[] = [];
  // Entries are taken in the directory's own order, as the server reads them, so that a stat
  // failure names the same entry; the sort comes after.
  const handle = opendirSync(dir);
  try {
    for (let entry = handle.readSync(); entry; entry = handle.readSync()) {
      const name = entry.name;
      if (!name.endsWith('.conf') || name.startsWith('.')) continue;
      const path = join(dir, name);
      let isDirectory: boolean;
      try {
        isDirectory = statSync(path).isDirectory();
      } catch (err) {
        throw new IncludeDirStatError(path, err);
      }
      if (!isDirectory) files.push(path);
    }
  } finally {
    handle.closeSync();
  }
  return files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
