import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  controlCrcOffset,
  crc32c,
  initDataDir,
  renewSystemIdentifier,
  TEMPLATES_ENV,
} from '../../../src/scratch/template.js';

/** A data directory with just the two files the renewal touches, laid out as PostgreSQL lays them. */
function fakeDataDir(
  opts: { crcAt: number; sysid: bigint; walSysid?: bigint; longHeader?: boolean },
  dir = mkdtempSync(join(tmpdir(), 'pgharden-template-')),
): string {
  mkdirSync(join(dir, 'global'), { recursive: true });
  mkdirSync(join(dir, 'pg_wal', 'archive_status'), { recursive: true });
  const control = Buffer.alloc(8192);
  control.writeBigUInt64LE(opts.sysid, 0);
  for (let i = 8; i < opts.crcAt; i++) control[i] = (i * 7) & 0xff;
  control.writeUInt32LE(crc32c(control.subarray(0, opts.crcAt)), opts.crcAt);
  writeFileSync(join(dir, 'global', 'pg_control'), control);
  const wal = Buffer.alloc(8192 * 2);
  wal.writeUInt16LE(0xd110, 0);
  wal.writeUInt16LE(opts.longHeader === false ? 0 : 0x0002, 2);
  wal.writeBigUInt64LE(opts.walSysid ?? opts.sysid, 24);
  writeFileSync(join(dir, 'pg_wal', '000000010000000000000001'), wal);
  return dir;
}

const read = (dir: string) => ({
  control: readFileSync(join(dir, 'global', 'pg_control')),
  wal: readFileSync(join(dir, 'pg_wal', '000000010000000000000001')),
});

describe('a scratch data directory copied from a template', () => {
  it('computes CRC-32C as PostgreSQL does (the check value of "123456789")', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('finds the control file CRC wherever the major puts it', () => {
    for (const at of [264, 296, 340]) {
      const dir = fakeDataDir({ crcAt: at, sysid: 7401234567890123456n });
      expect(controlCrcOffset(read(dir).control)).toBe(at);
    }
  });

  it('writes one new identifier into pg_control and the WAL header, with the CRC made again', () => {
    const old = 7401234567890123456n;
    const dir = fakeDataDir({ crcAt: 296, sysid: old });
    expect(renewSystemIdentifier(dir)).toBe(true);
    const { control, wal } = read(dir);
    const fresh = control.readBigUInt64LE(0);
    expect(fresh).not.toBe(old);
    expect(fresh >> 63n).toBe(0n); // a positive bigint, as pg_control_system() shows it
    expect(wal.readBigUInt64LE(24)).toBe(fresh);
    expect(control.readUInt32LE(296)).toBe(crc32c(control.subarray(0, 296)));
    expect(controlCrcOffset(control)).toBe(296);
  });

  it('changes nothing where the layout is not the expected one', () => {
    const cases = [
      fakeDataDir({ crcAt: 296, sysid: 1n, walSysid: 2n }), // a segment of another system
      fakeDataDir({ crcAt: 296, sysid: 1n, longHeader: false }), // no long header on the first page
    ];
    const broken = fakeDataDir({ crcAt: 296, sysid: 1n });
    const control = read(broken).control;
    control.writeUInt32LE(0, 296); // no CRC anywhere
    writeFileSync(join(broken, 'global', 'pg_control'), control);
    cases.push(broken);
    for (const dir of cases) {
      const before = read(dir);
      expect(renewSystemIdentifier(dir)).toBe(false);
      const after = read(dir);
      expect(after.control.equals(before.control)).toBe(true);
      expect(after.wal.equals(before.wal)).toBe(true);
    }
  });
});

describe('initDataDir', () => {
  const previous = process.env[TEMPLATES_ENV];
  afterEach(() => {
    if (previous === undefined) delete process.env[TEMPLATES_ENV];
    else process.env[TEMPLATES_ENV] = previous;
  });
  const ids = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  /** initdb and cp as fakes that record each call; `walSysid` makes every "initdb" a layout the renewal refuses. */
  function tools(walSysid?: bigint) {
    const initdb: string[] = [];
    return {
      initdb,
      use: {
        ...ids,
        async initdb(dir: string) {
          initdb.push(dir);
          fakeDataDir({ crcAt: 296, sysid: 42n, ...(walSysid ? { walSysid } : {}) }, dir);
        },
        async runAsServer(cmd: string, args: string[]) {
          expect(cmd).toBe('cp');
          cpSync(args[1] as string, args[2] as string, { recursive: true });
        },
      },
    };
  }
  const sysid = (dir: string) => readFileSync(join(dir, 'global', 'pg_control')).readBigUInt64LE(0);

  it('runs initdb in place when no template directory is set', async () => {
    delete process.env[TEMPLATES_ENV];
    const t = tools();
    const data = join(mkdtempSync(join(tmpdir(), 'pgharden-init-')), 'data');
    await initDataDir('pg15-plain', data, t.use);
    expect(t.initdb).toEqual([data]);
  });

  it('runs initdb once per install and key, then copies with a new system identifier', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-templates-'));
    process.env[TEMPLATES_ENV] = dir;
    const t = tools();
    const root = mkdtempSync(join(tmpdir(), 'pgharden-init-'));
    const made = ['a', 'b', 'c'].map((n) => join(root, n));
    for (const data of made) await initDataDir('pg15-copied', data, t.use);
    expect(t.initdb).toHaveLength(1);
    expect(readdirSync(dir)).toEqual(['pg15-copied']);
    const ids2 = made.map(sysid);
    expect(new Set([...ids2, sysid(join(dir, 'pg15-copied'))]).size).toBe(4);
  });

  it('falls back to initdb, for good, when a copy cannot be made new', async () => {
    process.env[TEMPLATES_ENV] = mkdtempSync(join(tmpdir(), 'pgharden-templates-'));
    const t = tools(7n);
    const root = mkdtempSync(join(tmpdir(), 'pgharden-init-'));
    await initDataDir('pg15-odd', join(root, 'a'), t.use);
    await initDataDir('pg15-odd', join(root, 'b'), t.use);
    // The template, then a's own initdb after its copy was refused, then b's straight away.
    expect(t.initdb.slice(1)).toEqual([join(root, 'a'), join(root, 'b')]);
  });

  it('falls back to initdb when the template directory cannot be written', async () => {
    process.env[TEMPLATES_ENV] = join(tmpdir(), 'pgharden-no-such-templates', 'x');
    const t = tools();
    const data = join(mkdtempSync(join(tmpdir(), 'pgharden-init-')), 'data');
    await initDataDir('pg15-unwritable', data, t.use);
    expect(t.initdb).toEqual([data]);
    expect(existsSync(join(data, 'global', 'pg_control'))).toBe(true);
  });
});
