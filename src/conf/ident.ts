/**
 * The lossless pg_ident.conf parser: `MAPNAME SYSTEM-USERNAME PG-USERNAME` lines, tokenized
 * like pg_hba.conf (quotes, commas, `#`, backslash continuation), each line keeping its raw
 * text; and the rows of the `pg_ident_file_mappings` view (15+).
 */
import type { ServerContext } from './context.js';
import { classifyLine } from './hba.js';
import { logicalLines } from './hba-lexer.js';
import type { HbaToken } from './hba-types.js';
import { regexError } from './regex.js';

/** One user name mapping. `systemUser` starting with `/` (unquoted) is a regular expression. */
export interface IdentMapping {
  map: string;
  systemUser: HbaToken;
  pgUser: HbaToken;
}

interface Base {
  line: number;
  raw: string;
}

export type IdentLine =
  | (Base & { kind: 'comment' })
  | (Base & { kind: 'blank' })
  | (Base & { kind: 'record'; mapping: IdentMapping })
  | (Base & { kind: 'include'; directive: 'include' | 'include_if_exists' | 'include_dir'; path: string })
  | (Base & { kind: 'error'; error: string });

/** A row of `pg_ident_file_mappings`; `file` is the view's `file_name` (16+). */
export interface IdentFileMappingRow {
  file: string;
  line_number: number;
  map_name: string | null;
  sys_name: string | null;
  pg_username: string | null;
  error: string | null;
}

/** Parses pg_ident.conf text; `@file` lists are read through the injected `readAtFile`, as in pg_hba.conf. */
export function parseIdent(
  text: string,
  opts: { file: string; context: ServerContext; readAtFile?: (path: string) => string | undefined; depth?: number },
): IdentLine[] {
  const out: IdentLine[] = [];
  for (const ll of logicalLines(text)) {
    const { line, raw } = ll;
    const classified = classifyLine(ll.text, line, raw, opts);
    if (!('fields' in classified)) {
      out.push(classified);
      continue;
    }
    const { fields } = classified;
    const error = fields.slice(0, 3).some((f) => f.length > 1)
      ? 'multiple values in ident field'
      : fields.length < 3
        ? 'missing entry at end of line'
        : (slashRegexError(fields[1]![0]!.value) ??
          (opts.context.major >= 16 ? slashRegexError(fields[2]![0]!.value) : undefined));
    if (error) {
      out.push({ kind: 'error', line, raw, error });
      continue;
    }
    const tok = (i: number): HbaToken => ({ value: fields[i]![0]!.value, quoted: fields[i]![0]!.quoted });
    out.push({ kind: 'record', line, raw, mapping: { map: fields[0]![0]!.value, systemUser: tok(1), pgUser: tok(2) } });
  }
  return out;
}

/** A name starting with `/` is a regular expression (quoted or not); its compile error, if any. */
function slashRegexError(value: string): string | undefined {
  return value.startsWith('/') ? regexError(value.slice(1)) : undefined;
}

/** The file text back, byte for byte. */
export function renderIdent(lines: readonly IdentLine[]): string {
  let out = '';
  for (const l of lines) out += l.raw;
  return out;
}

// The view prints names without their quotes.
const show = (t: HbaToken) => t.value;

/** The view's rows for a single file, in file order. */
export function identRows(lines: readonly IdentLine[], opts: { file: string }): IdentFileMappingRow[] {
  const rows: IdentFileMappingRow[] = [];
  for (const l of lines) {
    if (l.kind === 'record') {
      rows.push({
        file: opts.file,
        line_number: l.line,
        map_name: l.mapping.map,
        sys_name: show(l.mapping.systemUser),
        pg_username: show(l.mapping.pgUser),
        error: null,
      });
    } else if (l.kind === 'error') {
      rows.push({
        file: opts.file,
        line_number: l.line,
        map_name: null,
        sys_name: null,
        pg_username: null,
        error: l.error,
      });
    }
  }
  return rows;
}
