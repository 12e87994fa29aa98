/**
 * Reads pg_hba.conf and follows what it pulls in, as PostgreSQL (16+) does: `include`,
 * `include_if_exists` and `include_dir` relative to the including file's directory, and
 * `@file` lists. The only I/O of the hba layer; `readFile`/`listDir` can be injected.
 */
import type { ServerContext } from './context.js';
import { forEachHbaLine, MAX_INCLUDE_DEPTH, resolveIncluded } from './hba.js';
import { errorRow, hbaRow } from './hba-rows.js';
import type { HbaFileRuleRow, HbaLine, HbaRule, IncludeLine } from './hba-types.js';
import { IncludeDirStatError, listIncludeDir } from './include-dir.js';
import { readCapped, UnreadableFileError } from './read-capped.js';

/** A file as read: its text and how to write it back byte for byte. */
export interface ReadFile {
  text: string;
  /** `utf8` when the bytes are valid UTF-8, else `latin1` (one char per byte, so nothing is lost). */
  encoding: 'utf8' | 'latin1';
}

export interface LoadOptions {
  context: ServerContext;
  /** Reads a file; undefined when it does not exist. */
  readFile?: (path: string) => ReadFile | undefined;
  /** The files an include_dir pulls in, in PostgreSQL's order; undefined when the directory does not exist. */
  listDir?: (path: string) => string[] | undefined;
}

/** A valid rule with where it came from, in the order PostgreSQL checks them. */
export interface PlacedRule {
  rule: HbaRule;
  file: string;
  line: number;
}

export interface LoadedHba {
  /** Every file read, in reading order, with its parsed lines (for lossless edits). */
  files: Map<string, { lines: HbaLine[]; encoding: ReadFile['encoding'] }>;
  /** The rows of pg_hba_file_rules for the whole tree. */
  rows: HbaFileRuleRow[];
  /** Valid rules in matching order. */
  rules: PlacedRule[];
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

/** Reads a file as UTF-8 when it is valid UTF-8, else as latin1; undefined when missing. Only regular files, size-capped. */
export function readConfigFile(path: string): ReadFile | undefined {
  let bytes: Buffer;
  try {
    bytes = readCapped(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    // The server reads a directory named by include or @ as an empty file.
    if (err instanceof UnreadableFileError && err.kind === 'directory') return { text: '', encoding: 'utf8' };
    throw err;
  }
  try {
    return { text: fatalDecoder.decode(bytes), encoding: 'utf8' };
  } catch {
    return { text: bytes.toString('latin1'), encoding: 'latin1' };
  }
}

function listDirectory(path: string): string[] | undefined {
  try {
    return listIncludeDir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw err;
  }
}

/** Loads pg_hba.conf and everything it includes. Throws (ENOENT) when the top file is missing. */
export function loadHba(path: string, opts: LoadOptions): LoadedHba {
  const { files, rows, rules } = walk(path, opts, true);
  return { files, rows, rules };
}

/**
 * Only the rows of pg_hba_file_rules, and the 1-based column of each error line that has one
 * (keyed `file:line`), as loadHba gives them: each parsed line is dropped once its row is made,
 * so a 100,000-line file keeps a third of the memory, and the garbage collector copies a third.
 */
export function loadHbaRows(
  path: string,
  opts: LoadOptions,
): { rows: HbaFileRuleRow[]; columns: Map<string, number>; radius: boolean } {
  const { rows, columns, radius } = walk(path, opts, false);
  return { rows, columns, radius };
}

/** Reads the tree in PostgreSQL's order; `keep`: the parsed lines and rules too, not only the rows. */
/**
 * `radius`: some line names RADIUS servers, whose names the server resolves while it parses (the
 * caller then needs the parsed lines: src/hba/radius-names.ts).
 */
function walk(
  path: string,
  opts: LoadOptions,
  keep: boolean,
): LoadedHba & { columns: Map<string, number>; radius: boolean } {
  const read = opts.readFile ?? readConfigFile;
  const list = opts.listDir ?? listDirectory;
  const loaded = { files: new Map(), rows: [], rules: [], columns: new Map(), radius: false } as LoadedHba & {
    columns: Map<string, number>;
    radius: boolean;
  };
  const readAtFile = (p: string) => read(p)?.text;

  const visit = (file: string, depth: number, content: ReadFile): void => {
    const lines: HbaLine[] = [];
    if (keep) loaded.files.set(file, { lines, encoding: content.encoding });
    forEachHbaLine(content.text, { file, context: opts.context, readAtFile, depth }, (l) => {
      if (keep) lines.push(l);
      if (l.kind === 'record') {
        loaded.rows.push(hbaRow(l, file, opts.context));
        if (keep) loaded.rules.push({ rule: l.rule, file, line: l.line });
        if (l.rule.method === 'radius') loaded.radius = true;
      } else if (l.kind === 'error') {
        loaded.rows.push(hbaRow(l, file, opts.context));
        if (l.column) loaded.columns.set(`${file}:${l.line}`, l.column);
        if (l.raw.includes('radiusservers')) loaded.radius = true;
      } else if (l.kind === 'include') {
        include(file, depth, l);
      }
    });
  };

  const include = (file: string, depth: number, l: IncludeLine): void => {
    const target = resolveIncluded(file, l.path);
    if (depth + 1 > MAX_INCLUDE_DEPTH) {
      loaded.rows.push(errorRow(file, l.line, `could not open file "${target}": maximum nesting depth exceeded`));
      return;
    }
    if (l.directive === 'include_dir') {
      let entries: string[] | undefined;
      try {
        entries = list(target);
      } catch (err) {
        // An entry that cannot be stat'ed (a dangling link) fails the whole directive.
        if (!(err instanceof IncludeDirStatError)) throw err;
        loaded.rows.push(errorRow(file, l.line, err.message));
        return;
      }
      if (!entries) {
        loaded.rows.push(errorRow(file, l.line, `could not open directory "${target}"`));
        return;
      }
      for (const entry of entries) {
        let c: ReadFile | undefined;
        try {
          c = read(entry);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
          loaded.rows.push(errorRow(file, l.line, `could not open file "${entry}": Permission denied`));
          continue;
        }
        if (c) visit(entry, depth + 1, c);
      }
      return;
    }
    let c: ReadFile | undefined;
    try {
      c = read(target);
    } catch (err) {
      // Not readable by the server's OS user: an error even for include_if_exists (only ENOENT is skipped).
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      loaded.rows.push(errorRow(file, l.line, `could not open file "${target}": Permission denied`));
      return;
    }
    if (c) visit(target, depth + 1, c);
    else if (l.directive === 'include')
      loaded.rows.push(errorRow(file, l.line, `could not open file "${target}": No such file or directory`));
    // include_if_exists: PostgreSQL logs "skipping missing authentication file" and goes on.
  };

  const top = read(path);
  if (!top)
    throw Object.assign(new Error(`could not open file "${path}": No such file or directory`), { code: 'ENOENT' });
  visit(path, 0, top);
  return loaded;
}
