/**
 * Reads postgresql.conf and what it includes, in PostgreSQL's order, then
 * postgresql.auto.conf from the data directory. The result is the server's list of file
 * entries (settings and errors) before any value is judged: see guc-settings.ts.
 */
import { posix } from 'node:path';
import { parseConf, type ConfLine } from './guc.js';
import { IncludeDirStatError, listIncludeDir } from './include-dir.js';
import { readConfigFile, type ReadFile } from './load-hba.js';

/** PostgreSQL's limit on nested configuration files (CONF_FILE_MAX_DEPTH). */
const MAX_DEPTH = 10;

/** One entry of the server's list: a setting, or an error recorded at a file and line. */
export interface ConfEntry {
  file: string;
  line: number;
  name: string | null;
  value: string | null;
  /** The short error the view shows (e.g. "syntax error"), set while reading the files. */
  error: string | null;
}

export interface LoadedConf {
  files: Map<string, { lines: ConfLine[]; encoding: ReadFile['encoding'] }>;
  entries: ConfEntry[];
  /** False when reading stopped the server from judging any value (syntax error, missing include). */
  readOk: boolean;
  /** Full messages as the server logs them, with file and line. */
  messages: string[];
}

export interface LoadConfOptions {
  /** The data directory, to read postgresql.auto.conf after the main file. */
  dataDir?: string;
  readFile?: (path: string) => ReadFile | undefined;
  /** `include_dir`'s files in order; undefined when the directory cannot be opened; may throw IncludeDirStatError. */
  listDir?: (path: string) => string[] | undefined;
  /** The server's major: before 15, include paths keep their inner `.` and `..` (see canonical14). */
  major?: number;
}

/** Relative to the including file's directory (the data directory at the top), canonical: no `.`, `..`, `//` or trailing `/`. */
function absolute(path: string, callingFile: string | undefined, dataDir: string | undefined, major = 18): string {
  const base = callingFile ? posix.dirname(callingFile) : (dataDir ?? '.');
  if (major < 15) return canonical14(posix.isAbsolute(path) ? path : `${base}/${path}`);
  const joined = posix.normalize(posix.isAbsolute(path) ? path : posix.join(base, path));
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

/**
 * canonicalize_path before 15: repeated slashes and a trailing slash go, and `.`/`..` only at the
 * end of the path; inner ones stay as written (15 removes them all). Seen on 14 in pg_file_settings.
 */
function canonical14(path: string): string {
  let p = path.replace(/\/{2,}/g, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  const up = (x: string) => x.slice(0, Math.max(x.lastIndexOf('/'), 1));
  let pending = 0;
  for (;;) {
    if (p.endsWith('/.')) p = up(p);
    else if (p.endsWith('/..')) {
      p = up(p);
      pending++;
    } else if (pending > 0 && p !== '/') {
      p = up(p);
      pending--;
    } else return p;
  }
}

/** The server refuses a name of only blanks: it would read the including directory itself. */
const BLANK_NAME = /^[ \t\r\n]*$/;

/** Loads the configuration as the server reads it for `pg_file_settings`. */
export function loadConf(path: string, opts: LoadConfOptions = {}): LoadedConf {
  const read = opts.readFile ?? readConfigFile;
  const list =
    opts.listDir ??
    ((dir: string) => {
      try {
        return listIncludeDir(dir);
      } catch (err) {
        if (err instanceof IncludeDirStatError) throw err;
        return undefined;
      }
    });
  const out: LoadedConf = { files: new Map(), entries: [], readOk: true, messages: [] };
  const errorAt = (file: string, line: number, error: string, message: string) => {
    out.entries.push({ file, line, name: null, value: null, error });
    out.messages.push(message);
  };

  /** ParseConfigFile: false when the file could not be read or had a syntax error. */
  const parseFile = (
    name: string,
    strict: boolean,
    calling: string | undefined,
    callingLine: number,
    depth: number,
  ): boolean => {
    if (BLANK_NAME.test(name)) {
      errorAt(
        calling ?? name,
        callingLine,
        'empty configuration file name',
        `empty configuration file name: "${name}"`,
      );
      return false;
    }
    if (depth > MAX_DEPTH) {
      errorAt(
        calling ?? name,
        callingLine,
        'nesting depth exceeded',
        `could not open configuration file "${name}": maximum nesting depth exceeded`,
      );
      return false;
    }
    const abs = absolute(name, calling, opts.dataDir, opts.major);
    if (calling && abs === calling) {
      errorAt(calling, callingLine, 'configuration file recursion', `configuration file recursion in "${calling}"`);
      return false;
    }
    let content: ReadFile | undefined;
    try {
      content = read(abs);
    } catch (err) {
      // Not readable by the server's OS user: include_if_exists skips it as it skips a missing file
      // (the view shows nothing; the server logs "skipping missing configuration file").
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      if (!strict) return true;
      errorAt(
        calling ?? abs,
        callingLine,
        `could not open file "${abs}"`,
        `could not open configuration file "${abs}": Permission denied`,
      );
      return false;
    }
    if (!content) {
      if (!strict) return true; // include_if_exists: PostgreSQL logs "skipping missing configuration file"
      errorAt(
        calling ?? abs,
        callingLine,
        `could not open file "${abs}"`,
        `could not open configuration file "${abs}": No such file or directory`,
      );
      return false;
    }
    const lines = parseConf(content.text, { file: abs });
    out.files.set(abs, { lines, encoding: content.encoding });
    let ok = true;
    for (const l of lines) {
      if (l.kind === 'setting')
        out.entries.push({ file: abs, line: l.line, name: l.name, value: l.value, error: null });
      else if (l.kind === 'error') {
        errorAt(abs, l.line, 'syntax error', l.error);
        // Reading for pg_file_settings, the server gives up on a file at its first syntax error.
        return false;
      } else if (l.kind === 'include') {
        if (l.directive === 'include_dir') {
          if (BLANK_NAME.test(l.path)) {
            errorAt(
              abs,
              l.line,
              'empty configuration directory name',
              `empty configuration directory name: "${l.path}"`,
            );
            ok = false;
            continue;
          }
          const dir = absolute(l.path, abs, opts.dataDir, opts.major);
          let names: string[] | undefined;
          try {
            names = list(dir);
          } catch (err) {
            if (!(err instanceof IncludeDirStatError)) throw err;
            errorAt(abs, l.line, err.message, `${err.message}: ${(err.cause as Error | undefined)?.message ?? ''}`);
            ok = false;
            continue;
          }
          if (!names) {
            errorAt(
              abs,
              l.line,
              `could not open directory "${dir}"`,
              `could not open configuration directory "${dir}"`,
            );
            ok = false;
            continue;
          }
          for (const f of names) {
            // Before 15 the file is named "directory/name" as joined, inner dots kept.
            const file = (opts.major ?? 18) < 15 ? `${dir}/${posix.basename(f)}` : f;
            if (!parseFile(file, true, abs, l.line, depth)) {
              ok = false;
              break;
            }
          }
        } else if (!parseFile(l.path, l.directive === 'include', abs, l.line, depth + 1)) {
          ok = false;
        }
      }
    }
    return ok;
  };

  if (!read(path))
    throw Object.assign(new Error(`could not open file "${path}": No such file or directory`), { code: 'ENOENT' });
  out.readOk = parseFile(path, true, undefined, 0, 0);
  if (out.readOk && opts.dataDir) out.readOk = parseFile('postgresql.auto.conf', false, undefined, 0, 0);
  return out;
}
