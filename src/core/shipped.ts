/**
 * Files shipped with pgharden (the built-in role templates), read the same way whether pgharden
 * runs from its package directory (`node dist/bin/pgharden.js`, an npm install) or as the single
 * executable of the `.deb` (Node's single-executable applications), where they are assets of
 * the executable. Paths are package-relative with `/`: `templates/roles/readonly.sql`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getAsset, isSea } from 'node:sea';

/** The asset that lists every shipped file's package-relative path (written by scripts/package.mjs). */
export const SHIPPED_INDEX = 'shipped-files.json';

/** True when running as the single executable (the `.deb`'s /usr/bin/pgharden). */
export function isSingleExecutable(): boolean {
  return isSea();
}

function packageRoot(): string {
  // dist/core/shipped.js, a chunk of the bundle in dist/bin/ (scripts/bundle-cli.mjs) or
  // src/core/shipped.ts under the tests → the package directory.
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** Where a shipped file is named in messages: its full path on disk, or its asset name. */
export function shippedName(path: string): string {
  return isSingleExecutable() ? `${process.execPath}:${path}` : `${packageRoot()}${path}`;
}

/** The text of a shipped file, by its package-relative path. */
export function readShipped(path: string): string {
  if (isSingleExecutable()) return getAsset(path, 'utf8');
  return readFileSync(`${packageRoot()}${path}`, 'utf8');
}

/** The package-relative paths of the shipped files directly in a directory, sorted. */
export function listShipped(dir: string): string[] {
  const prefix = `${dir.replace(/\/+$/, '')}/`;
  const all: string[] = isSingleExecutable()
    ? JSON.parse(getAsset(SHIPPED_INDEX, 'utf8'))
    : readdirSync(`${packageRoot()}${prefix}`, { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => `${prefix}${e.name}`);
  return all.filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).sort();
}
