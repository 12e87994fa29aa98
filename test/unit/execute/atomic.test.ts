import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/core/atomic.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgharden-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const root = process.getuid?.() === 0;
const postgres = () => {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  return line ? { uid: Number(line.split(':')[2]), gid: Number(line.split(':')[3]) } : undefined;
};

describe('writeFileAtomic', () => {
  it('replaces the content and keeps the existing mode, leaving no temp file', () => {
    const f = join(dir, 'pg_hba.conf');
    writeFileSync(f, 'old\n');
    chmodSync(f, 0o640);
    writeFileAtomic(f, 'new\n');
    expect(readFileSync(f, 'utf8')).toBe('new\n');
    expect(statSync(f).mode & 0o7777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['pg_hba.conf']);
  });

  it('creates a missing file 0600 unless told otherwise', () => {
    writeFileAtomic(join(dir, 'a'), Buffer.from([0, 255]));
    writeFileAtomic(join(dir, 'b'), 'x', { mode: 0o644 });
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'a'))).toEqual(Buffer.from([0, 255]));
    expect(statSync(join(dir, 'b')).mode & 0o777).toBe(0o644);
  });

  it.skipIf(!root || !postgres())('keeps the owner when root writes a file the server owns', () => {
    const f = join(dir, 'pg_hba.conf');
    writeFileSync(f, 'old\n');
    const pg = postgres()!;
    chownSync(f, pg.uid, pg.gid);
    writeFileAtomic(f, 'new\n');
    expect([statSync(f).uid, statSync(f).gid]).toEqual([pg.uid, pg.gid]);
  });

  it('fails naming the path and leaves no temp file behind', () => {
    const target = join(dir, 'is-a-directory');
    mkdirSync(join(target, 'inside'), { recursive: true });
    expect(() => writeFileAtomic(target, 'x')).toThrow(`Cannot write ${target}`);
    expect(readdirSync(dir)).toEqual(['is-a-directory']);
  });

  it('writes through a symlink (and a chain of them): the link stays, the target gets the content, its mode and owner kept', () => {
    mkdirSync(join(dir, 'real'));
    const target = join(dir, 'real', 'app.env');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o640);
    symlinkSync('real/app.env', join(dir, 'one'));
    symlinkSync(join(dir, 'one'), join(dir, 'two'));
    writeFileAtomic(join(dir, 'two'), 'new\n');
    expect(lstatSync(join(dir, 'two')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'one'))).toBe('real/app.env');
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(statSync(target).mode & 0o7777).toBe(0o640);
    expect(readdirSync(join(dir, 'real'))).toEqual(['app.env']);
  });

  it('creates the missing target of a dangling link, keeping the link', () => {
    symlinkSync('made.conf', join(dir, 'link.conf'));
    writeFileAtomic(join(dir, 'link.conf'), 'x');
    expect(lstatSync(join(dir, 'link.conf')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'made.conf'), 'utf8')).toBe('x');
  });
});
