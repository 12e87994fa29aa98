import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files an `include_dir` directive pulls in, in the order PostgreSQL reads them:
 * regular files whose names end in `.conf` and do not start with `.`, sorted by byte
 * value of the name (strcmp, not locale order). Sub-directories are not descended into.
 * Throws what `readdirSync` throws when the directory cannot be read.
 */
export function listIncludeDir(dir: string): string[] {
  const names = readdirSync(dir).filter(
    (name) => name.endsWith('.conf') && !name.startsWith('.'),
  );
  names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const files: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    // PostgreSQL skips what it cannot stat and anything that is not a regular file.
    try {
      if (statSync(path).isFile()) files.push(path);
    } catch {
      continue;
    }
  }
  return files;
}
