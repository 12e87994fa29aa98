/**
 * The integration tier's global set-up: one directory of pristine data directories for the run
 * (src/scratch/template.ts), so each install runs initdb once and every later scratch cluster is
 * a copy with a new system identifier. Workers inherit the variable; the directory goes at the end.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPLATES_ENV } from '../../src/scratch/template.js';

export default function setup(): () => void {
  const previous = process.env[TEMPLATES_ENV];
  const dir = mkdtempSync(join(tmpdir(), 'pgharden-templates-'));
  // The server's OS user copies from here (as root, the tests run the server as "postgres").
  chmodSync(dir, 0o755);
  process.env[TEMPLATES_ENV] = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env[TEMPLATES_ENV];
    else process.env[TEMPLATES_ENV] = previous;
  };
}
