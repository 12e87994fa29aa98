/**
 * Who else could change a path that pgharden, often as root, will later run or put back. A path is
 * only as safe as every directory on the way to it: whoever can write a directory can rename or
 * replace what is in it. So the checks go from the path up to `/`, as OpenSSH's StrictModes does:
 * each directory must be owned by root or the invoking user and not writable by group or others,
 * except a sticky one (`/tmp`, 1777), where others cannot rename or remove what they do not own.
 */
import { lstatSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';

/** A path another user could change, with the command that fixes it. */
export interface UntrustedPath {
  path: string;
  uid: number;
  gid: number;
  /** Permission bits (with setuid, setgid, sticky). */
  mode: number;
  why: string;
  fix: string;
}

const shq = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

const names = new Map<string, Map<number, string>>();
/** A user's (or, from /etc/group, a group's) name, else its number. */
export function userName(id: number, file = '/etc/passwd'): string {
  let byId = names.get(file);
  if (!byId) {
    byId = new Map();
    names.set(file, byId);
    try {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [name, , n] = line.split(':');
        if (name && n && /^\d+$/.test(n) && !byId.has(Number(n))) byId.set(Number(n), name);
      }
    } catch {
      // No such file: numbers it is.
    }
  }
  return byId.get(id) ?? String(id);
}

/** The uid pgharden runs as: root, or the user who runs it without sudo. */
export const invokingUid = (): number => process.getuid?.() ?? 0;

/**
 * Why another user could write this entry (null: only root or the invoking user can).
 * `stickyOk`: a sticky, world-writable directory is fine on the way to a path (not inside it).
 */
export function othersMayWrite(path: string, st: Stats, o: { stickyOk?: boolean } = {}): UntrustedPath | null {
  const invoker = invokingUid();
  const mode = st.mode & 0o7777;
  const base = { path, uid: st.uid, gid: st.gid, mode };
  if (st.isSymbolicLink())
    return {
      ...base,
      why: 'is a symbolic link (its target can be changed)',
      fix: `replace ${shq(path)} with the file it points to`,
    };
  if (st.uid !== 0 && st.uid !== invoker)
    return {
      ...base,
      why: `is owned by ${userName(st.uid)}, not by ${invoker === 0 ? 'root' : `root or ${userName(invoker)}`}`,
      fix: `chown ${invoker === 0 ? 'root' : userInfo().username} ${shq(path)}`,
    };
  const writers = [mode & 0o020 ? 'group' : '', mode & 0o002 ? 'others' : ''].filter(Boolean);
  if (writers.length && !(o.stickyOk && st.isDirectory() && mode & 0o1000))
    return { ...base, why: `is writable by ${writers.join(' and ')}`, fix: `chmod go-w ${shq(path)}` };
  return null;
}

/** The directories from `path`'s parent up to `/`, as named and as resolved: each must be safe to rely on. */
export function ancestorProblems(path: string): UntrustedPath[] {
  const seen = new Set<string>();
  const found: UntrustedPath[] = [];
  const walk = (from: string) => {
    for (let d = dirname(from); !seen.has(d); d = dirname(d)) {
      seen.add(d);
      const st = lstatSync(d, { throwIfNoEntry: false });
      // A symlink on the way (/var/run -> /run) is judged by its owner; its target is walked as resolved.
      const p = st && othersMayWrite(d, st, { stickyOk: true });
      if (p && !(st.isSymbolicLink() && (st.uid === 0 || st.uid === invokingUid()))) found.push(p);
      if (d === '/') break;
    }
  };
  const absolute = resolve(path);
  walk(absolute);
  try {
    walk(realpathSync(absolute));
  } catch {
    // A path that does not exist has no resolved form; its named ancestors were walked.
  }
  return found;
}

/** One line per path: the path, its owner and mode, why, and the fix. */
export const describeUntrusted = (p: UntrustedPath): string =>
  `${p.path} (owner ${userName(p.uid)}:${userName(p.gid, '/etc/group')}, mode ${p.mode.toString(8).padStart(4, '0')}) ${p.why}: ${p.fix}`;
