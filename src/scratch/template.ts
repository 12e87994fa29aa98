/**
 * A scratch data directory copied from a pristine one instead of made by `initdb`.
 *
 * `initdb` costs about a CPU-second (it boots a backend twice to fill the catalogs); a test run
 * makes some eighty clusters. When PGHARDEN_SCRATCH_TEMPLATES names a directory (the integration
 * tests' global set-up makes one per run and removes it), the first cluster of each install runs
 * `initdb` into it once, and every later one is a `cp -a` of that result.
 *
 * A copy would share the original's system identifier, and pgharden keys its cluster lock, its
 * plan binding and pgBackRest's stanza check on it, so each copy gets a new one: written into
 * pg_control (with the control file's CRC-32C recomputed) and into the long header of each WAL
 * segment, the two places the server compares at start. Where the layout is not the one expected
 * (the CRC is not found, a segment names another system), the copy is dropped and `initdb` runs:
 * the template saves time, never changes what a cluster is.
 */
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** The variable naming the directory of templates; unset, every cluster runs initdb. */
export const TEMPLATES_ENV = 'PGHARDEN_SCRATCH_TEMPLATES';

/** CRC-32C (Castagnoli, reflected), as PostgreSQL computes it over its control file. */
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** One byte more into a running CRC-32C (started at 0xffffffff, finished by crcValue). */
const crcStep = (crc: number, byte: number) => (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
const crcValue = (crc: number) => (crc ^ 0xffffffff) >>> 0;

export function crc32c(bytes: Uint8Array): number {
  return crcValue(bytes.reduce(crcStep, 0xffffffff));
}

/**
 * Where pg_control keeps its CRC: the field follows the data it covers, at an offset that differs
 * between majors, so it is found as the first 4-aligned place whose value is the CRC of all before it.
 */
export function controlCrcOffset(control: Buffer): number | undefined {
  let crc = 0xffffffff;
  for (let i = 0; i < Math.min(control.length - 4, 1024); i++) {
    if (i >= 16 && i % 4 === 0 && crcValue(crc) === control.readUInt32LE(i)) return i;
    crc = crcStep(crc, control[i] as number);
  }
  return undefined;
}

/** XLP_LONG_HEADER in xlp_info: the segment's first page carries the system identifier at byte 24. */
const XLP_LONG_HEADER = 0x0002;
const LONG_HEADER_SYSID_AT = 24;

/**
 * Gives the data directory a new system identifier (made as PostgreSQL makes one: the time in the
 * high half, random bits in the low). Returns false, changing nothing, where the layout is not the
 * expected one.
 */
export function renewSystemIdentifier(dataDir: string): boolean {
  if (endianness() !== 'LE') return false;
  const controlPath = join(dataDir, 'global', 'pg_control');
  const control = readFileSync(controlPath);
  const crcAt = controlCrcOffset(control);
  if (crcAt === undefined) return false;
  const old = control.readBigUInt64LE(0);
  const fresh = (BigInt(Math.floor(Date.now() / 1000)) << 32n) | BigInt(randomBytes(4).readUInt32LE(0));
  const walDir = join(dataDir, 'pg_wal');
  const segments = readdirSync(walDir).filter((f) => /^[0-9A-F]{24}$/.test(f));
  const heads: number[] = [];
  try {
    for (const name of segments) {
      const fd = openSync(join(walDir, name), 'r+');
      heads.push(fd);
      const head = Buffer.alloc(LONG_HEADER_SYSID_AT + 8);
      readSync(fd, head, 0, head.length, 0);
      if ((head.readUInt16LE(2) & XLP_LONG_HEADER) === 0 || head.readBigUInt64LE(LONG_HEADER_SYSID_AT) !== old)
        return false;
    }
    if (heads.length === 0) return false;
    const id = Buffer.alloc(8);
    id.writeBigUInt64LE(fresh);
    for (const fd of heads) writeSync(fd, id, 0, 8, LONG_HEADER_SYSID_AT);
  } finally {
    for (const fd of heads) closeSync(fd);
  }
  control.writeBigUInt64LE(fresh, 0);
  control.writeUInt32LE(crc32c(control.subarray(0, crcAt)), crcAt);
  const fd = openSync(controlPath, 'r+');
  try {
    writeSync(fd, control, 0, control.length, 0);
  } finally {
    closeSync(fd);
  }
  return true;
}

export interface TemplateUse {
  /** Runs initdb into `dataDir` (an empty directory the server's user owns, or none). */
  initdb(dataDir: string): Promise<void>;
  /** Runs `cmd args` as the server's OS user. */
  runAsServer(cmd: string, args: string[]): Promise<void>;
  uid: number;
  gid: number;
}

/** Templates that failed here once: every later cluster of that install runs initdb. */
const refused = new Set<string>();

/**
 * Makes `dataDir` from the template of this install (making the template first if it is the first
 * cluster), or runs initdb when no template directory is set or the template cannot serve: a copy
 * it cannot make new, or a directory this OS user may not write or read (a test's `su postgres`
 * inherits the variable of a run that started as root).
 */
export async function initDataDir(key: string, dataDir: string, use: TemplateUse): Promise<void> {
  const dir = process.env[TEMPLATES_ENV];
  if (!dir || refused.has(key)) return use.initdb(dataDir);
  try {
    if (await fromTemplate(join(dir, key), dataDir, use)) return;
  } catch {
    // Falls through to initdb, which fails on its own terms if the cluster cannot be made at all.
  }
  refused.add(key);
  rmSync(dataDir, { recursive: true, force: true });
  return use.initdb(dataDir);
}

async function fromTemplate(template: string, dataDir: string, use: TemplateUse): Promise<boolean> {
  if (!existsSync(join(template, 'global', 'pg_control'))) {
    // Made beside its final place and renamed in: a concurrent worker either sees the whole
    // template or none, and the loser of a race removes its own copy.
    const making = join(dirname(template), `.${basename(template)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(making, { mode: 0o700 });
    try {
      chownSync(making, use.uid, use.gid);
      await use.initdb(making);
      renameSync(making, template);
    } catch (err) {
      rmSync(making, { recursive: true, force: true });
      if (!existsSync(join(template, 'global', 'pg_control'))) throw err;
    }
  }
  await use.runAsServer('cp', ['-a', template, dataDir]);
  return renewSystemIdentifier(dataDir);
}
