import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** ../shared/corpus beside the repository (never copied into it). */
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

/** The corpus files of one kind (`hba` or `conf`), sorted, as { name, path, bytes }. */
export function corpusFiles(kind: 'hba' | 'conf'): { name: string; path: string; bytes: Buffer }[] {
  const dir = `${CORPUS_DIR}${kind}/`;
  return readdirSync(dir)
    .filter((n) => n.endsWith('.conf'))
    .sort()
    .map((name) => ({ name, path: dir + name, bytes: readFileSync(dir + name) }));
}
