import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapped, type UnreadableFileError } from '../../../src/conf/read-capped.js';
import { readConfigFile } from '../../../src/conf/load-hba.js';
import { caught } from '../../support/caught.js';

const dir = mkdtempSync(join(tmpdir(), 'pgharden-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const refusal = (f: () => unknown) => caught<UnreadableFileError>(f);

describe('readCapped', () => {
  it('reads a regular file', () => {
    writeFileSync(join(dir, 'ok'), 'host all all 10.0.0.0/8 trust\n');
    expect(readCapped(join(dir, 'ok')).toString()).toBe('host all all 10.0.0.0/8 trust\n');
  });

  it('refuses /dev/zero and a FIFO at once, saying what they are', () => {
    const started = Date.now();
    expect(refusal(() => readCapped('/dev/zero'))?.message).toBe(
      '/dev/zero is a character device, not a regular file; pgharden reads only regular files',
    );
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(refusal(() => readCapped(join(dir, 'fifo')))?.message).toMatch(
      /fifo is a FIFO \(named pipe\), not a regular file/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a file over the cap', () => {
    writeFileSync(join(dir, 'big'), Buffer.alloc(3 * 1024 * 1024));
    expect(refusal(() => readCapped(join(dir, 'big'), 2 * 1024 * 1024))).toMatchObject({
      kind: 'too-large',
      reason: 'is 3 MiB, more than the 2 MiB pgharden reads; no configuration file is that large',
    });
  });

  it('keeps what the server does: a directory named by include reads as empty, a missing file as absent', () => {
    expect(readConfigFile(dir)).toEqual({ text: '', encoding: 'utf8' });
    expect(readConfigFile(join(dir, 'nope'))).toBeUndefined();
  });
});
