import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** ../shared/corpus beside the repository (never copied into it); PGHARDEN_CORPUS names another. */
export const CORPUS_DIR =
  process.env.PGHARDEN_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

/** The corpus is there: a clone of the repository alone has none, and its tests skip. */
export const CORPUS_PRESENT = existsSync(CORPUS_DIR);

let said = false;

/** The corpus files of one kind (`hba` or `conf`), sorted, as { name, path, bytes }; none (said once) without the corpus. */
export function corpusFiles(kind: 'hba' | 'conf'): { name: string; path: string; bytes: Buffer }[] {
  if (!CORPUS_PRESENT) {
    if (!said)
      console.log(
        `corpus tests skipped: ${CORPUS_DIR} is absent (the corpus lives in ../shared/corpus beside the repository)`,
      );
    said = true;
    return [];
  }
  const dir = `${CORPUS_DIR.replace(/\/?$/, '/')}${kind}/`;
  return readdirSync(dir)
    .filter((n) => n.endsWith('.conf'))
    .sort()
    .map((name) => ({ name, path: dir + name, bytes: readFileSync(dir + name) }));
}
