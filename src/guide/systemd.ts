/**
 * The systemd service that reads a consumer's file as its environment (EnvironmentFile=), so the
 * guide can suggest its reload and health commands: `systemctl reload UNIT` when the unit has an
 * ExecReload= (the service re-reads its settings), `systemctl restart UNIT` otherwise (an
 * environment file is read only when the service starts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where systemd keeps units: the administrator's first, then the packages'. */
export const UNIT_DIRS = ['/etc/systemd/system', '/lib/systemd/system'];

/** A service whose EnvironmentFile= is the consumer file, and the commands to suggest for it. */
export interface ServiceOfFile {
  unit: string;
  reload: string[];
  health: string[];
}

/** The EnvironmentFile= paths of a unit's text ("-" marks an optional file; several may be on one line). */
export function environmentFiles(text: string): string[] {
  return [...text.matchAll(/^\s*EnvironmentFile\s*=\s*(.+)$/gm)].flatMap((m) =>
    m[1]!
      .trim()
      .split(/\s+/)
      .map((f) => f.replace(/^-/, '')),
  );
}

/** The first service in `dirs` whose environment file is `file`, or null. */
export function serviceOfFile(file: string, dirs: readonly string[] = UNIT_DIRS): ServiceOfFile | null {
  const wanted = resolve(file);
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.service'));
    } catch {
      continue;
    }
    for (const unit of names.sort()) {
      let text: string;
      try {
        text = readFileSync(join(dir, unit), 'utf8');
      } catch {
        continue;
      }
      if (!environmentFiles(text).some((f) => resolve(f) === wanted)) continue;
      const reloads = /^\s*ExecReload\s*=/m.test(text);
      return {
        unit,
        reload: ['systemctl', reloads ? 'reload' : 'restart', unit],
        health: ['systemctl', 'is-active', '--quiet', unit],
      };
    }
  }
  return null;
}
