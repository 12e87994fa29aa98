import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRegularFile } from '../../../src/plan/read-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgharden-read-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readRegularFile', () => {
  it('reads a regular file, through a symlink', () => {
    writeFileSync(join(dir, 'a.env'), 'X=1\n');
    symlinkSync(join(dir, 'a.env'), join(dir, 'link.env'));
    expect(readRegularFile(join(dir, 'link.env')).toString()).toBe('X=1\n');
  });

  it('refuses devices, FIFOs, directories and files over the cap without reading them', () => {
    spawnSync('mkfifo', [join(dir, 'fifo')]);
    writeFileSync(join(dir, 'big'), 'x'.repeat(11));
    expect(() => readRegularFile('/dev/zero')).toThrow('/dev/zero is not a regular file (a character device)');
    expect(() => readRegularFile(join(dir, 'fifo'))).toThrow('is not a regular file (a FIFO)');
    expect(() => readRegularFile(dir)).toThrow('is not a regular file (a directory)');
    expect(() => readRegularFile(join(dir, 'big'), 10)).toThrow('(11 bytes)');
    expect(() => readRegularFile(join(dir, 'missing'))).toThrow('cannot be read (ENOENT)');
  });
});
