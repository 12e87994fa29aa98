/**
 * The unit tier's global set-up: every temporary file of a unit run goes into one directory of
 * its own (TMPDIR, read by os.tmpdir() in the workers, which inherit this process's environment),
 * removed when the run ends, so a run leaves nothing in /tmp whatever a test forgets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'pgharden-unit-run-'));
  process.env.TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}
