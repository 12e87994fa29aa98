/**
 * The lossless pg_hba.conf parser. `parseHba` types every logical line (record, comment,
 * blank, include, error) and keeps its raw text; `renderHba` gives the file back byte for byte.
 * Records are judged as the server of `context` judges them (see hba-record.ts).
 */
import { posix } from 'node:path';
import type { ServerContext } from './context.js';
import { forEachLogicalLine, lexFields, logicalLines, type LexToken } from './hba-lexer.js';
import { parseRecord } from './hba-record.js';
import type { HbaLine } from './hba-types.js';

/** PostgreSQL's limit on nested include files and `@file` lists (CONF_FILE_MAX_DEPTH). */
export const MAX_INCLUDE_DEPTH = 10;

export interface ParseHbaOptions {
  /** Absolute path of the file (relative `@file` names are resolved from its directory). */
  file: string;
  context: ServerContext;
  /** Reads an `@file` list by absolute path; undefined when it cannot be opened. */
  readAtFile?: (path: string) => string | undefined;
  /** Nesting depth of this file (0 for the top file). */
  depth?: number;
}

/** Resolves a file named in another file as PostgreSQL does: relative to the including file's directory. */
export function resolveIncluded(includingFile: string, name: string): string {
  const full = posix.isAbsolute(name) ? name : posix.join(posix.dirname(includingFile), name);
  const normal = posix.normalize(full);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

type Expanded = { fields: LexToken[][] } | { error: string };

/** Replaces unquoted `@file` tokens by every token of that file, recursively. */
export function expandAtFiles(fields: LexToken[][], opts: ParseHbaOptions, depth: number): Expanded {
  if (!hasAtFile(fields)) return { fields };
  const out: LexToken[][] = [];
  for (const field of fields) {
    const tokens: LexToken[] = [];
    for (const tok of field) {
      if (!isAtFile(tok)) {
        tokens.push(tok);
        continue;
      }
      const path = resolveIncluded(opts.file, tok.value.slice(1));
      if (depth + 1 > MAX_INCLUDE_DEPTH)
        return { error: `could not open file "${path}": maximum nesting depth exceeded` };
      const text = opts.readAtFile?.(path);
      if (text === undefined) {
        return opts.context.major >= 16
          ? { error: `could not open file "${path}": No such file or directory` }
          : {
              error: `could not open secondary authentication file "${tok.value}" as "${path}": No such file or directory`,
            };
      }
      for (const ll of logicalLines(text)) {
        const inner = expandAtFiles(lexFields(ll.text), { ...opts, file: path }, depth + 1);
        if ('error' in inner) return inner;
        for (const f of inner.fields) for (const t of f) tokens.push({ ...t, offset: tok.offset });
      }
    }
    // A field whose @file lists no names disappears, and the fields after it move up.
    if (tokens.length > 0) out.push(tokens);
  }
  return { fields: out };
}

function hasAtFile(fields: LexToken[][]): boolean {
  for (const field of fields) for (const tok of field) if (isAtFile(tok)) return true;
  return false;
}

function isAtFile(tok: LexToken): boolean {
  return !tok.quoted && tok.value.length > 1 && tok.value.charCodeAt(0) === 64;
}

const INCLUDE_DIRECTIVES = new Set(['include', 'include_if_exists', 'include_dir']);

/** A line that is not a record, in the shape pg_hba.conf and pg_ident.conf lines share. */
export type NonRecordLine =
  | { kind: 'comment' | 'blank'; line: number; raw: string }
  | {
      kind: 'include';
      line: number;
      raw: string;
      directive: 'include' | 'include_if_exists' | 'include_dir';
      path: string;
    }
  | { kind: 'error'; line: number; raw: string; error: string };

/**
 * The part of reading a line that pg_hba.conf and pg_ident.conf share: tokens, comments and
 * blanks, `@file` expansion, and the include directives (16+). Returns the finished line, or the
 * record's fields for the caller to judge.
 */
export function classifyLine(
  content: string,
  line: number,
  raw: string,
  opts: ParseHbaOptions,
): NonRecordLine | { fields: LexToken[][] } {
  const lexed = lexFields(content);
  if (lexed.length === 0) return { kind: content.includes('#') ? 'comment' : 'blank', line, raw };
  const expanded = expandAtFiles(lexed, opts, opts.depth ?? 0);
  if ('error' in expanded) return { kind: 'error', line, raw, error: expanded.error };
  const { fields } = expanded;
  // Only empty @file lists: PostgreSQL sees no tokens at all and skips the line.
  if (fields.length === 0) return { kind: 'comment', line, raw };
  const directive = fields[0]![0]!.value;
  if (opts.context.major >= 16 && fields.length === 2 && INCLUDE_DIRECTIVES.has(directive)) {
    return { kind: 'include', line, raw, directive: directive as 'include', path: fields[1]![0]!.value };
  }
  return { fields };
}

/** Parses pg_hba.conf text. Pure apart from the injected `readAtFile`. */
export function parseHba(text: string, opts: ParseHbaOptions): HbaLine[] {
  const lines: HbaLine[] = [];
  forEachHbaLine(text, opts, (l) => lines.push(l));
  return lines;
}

/** parseHba, handing each line to `fn` as it is read (a caller that keeps only rows keeps no lines). */
export function forEachHbaLine(text: string, opts: ParseHbaOptions, fn: (line: HbaLine) => void): void {
  forEachLogicalLine(text, (line, raw, content) => {
    const classified = classifyLine(content, line, raw, opts);
    if (!('fields' in classified)) {
      fn(classified);
      return;
    }
    const { fields } = classified;
    const parsed = parseRecord(fields, opts.context);
    if ('error' in parsed) {
      // A column only helps on a single physical line.
      const nl = raw.indexOf('\n');
      const column = parsed.offset === undefined || (nl >= 0 && nl < raw.length - 1) ? undefined : parsed.offset + 1;
      fn({
        kind: 'error',
        line,
        raw,
        error: parsed.error,
        ...(column === undefined ? {} : { column }),
        ...(parsed.rule ? { rule: parsed.rule } : {}),
        ...(parsed.viewError === undefined ? {} : { viewError: parsed.viewError }),
      });
    } else {
      fn({ kind: 'record', line, raw, rule: parsed.rule });
    }
  });
}

/** The file text back, byte for byte. */
export function renderHba(lines: readonly HbaLine[]): string {
  let out = '';
  for (const l of lines) out += l.raw;
  return out;
}
