/**
 * Reading the server's configuration files as the server reads them. Run as root, pgharden can
 * open files the server's OS user cannot; the server reports such an include as "could not open
 * file … Permission denied", so pgharden must judge readability with the server's identity, not
 * its own: the permission bits of the file and the search bit of every directory above it, for the
 * server's uid, its group and its supplementary groups (/etc/group).
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { readConfigFile } from '../conf/load-hba.js';
import type { ReadFile } from '../conf/load-hba.js';
import { osUserName } from '../connect/connect.js';

/** An OS identity: uid and every group it is in. */
export interface OsIdentity {
  uid: number;
  gids: number[];
}

/** The identity of the OS user that owns the data directory (the server's), with its groups. */
export function serverIdentity(dataDirectory: string): OsIdentity {
  const st = statSync(dataDirectory);
  const name = osUserName(st.uid);
  const gids = new Set([st.gid]);
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [, , gid, members] = line.split(':');
      if (gid !== undefined && members?.split(',').includes(name)) gids.add(Number(gid));
    }
  } catch {
    // No /etc/group: the primary group alone.
  }
  return { uid: st.uid, gids: [...gids] };
}

function allowed(path: string, who: OsIdentity, bit: 4 | 1): boolean {
  const st = statSync(path);
  const mode = st.mode;
  const shift = who.uid === st.uid ? 6 : who.gids.includes(st.gid) ? 3 : 0;
  return ((mode >> shift) & bit) !== 0;
}

/** Would `who` be allowed to open `path` for reading (the directories searchable, the file readable)? */
export function canRead(path: string, who: OsIdentity): boolean {
  if (who.uid === 0) return true;
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return true; // missing: the loader reports it as missing
  }
  for (let d = dirname(real); ; d = dirname(d)) {
    if (!allowed(d, who, 1)) return false;
    if (d === '/') break;
  }
  return statSync(real).isDirectory() || allowed(real, who, 4);
}

/**
 * A loader's `readFile` that refuses (EACCES) what the server's OS user could not open. The files
 * pgharden was asked to read (`top`) are read as they are: only what they include is the server's.
 */
export function readConfigFileAs(who: OsIdentity, top: readonly string[] = []): (path: string) => ReadFile | undefined {
  if (process.geteuid?.() === who.uid) return readConfigFile;
  return (path) => {
    if (!top.includes(path) && !canRead(path, who))
      throw Object.assign(new Error(`could not open file "${path}": Permission denied`), { code: 'EACCES', path });
    return readConfigFile(path);
  };
}
