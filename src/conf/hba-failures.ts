/**
 * The lines of a loaded pg_hba.conf the server fails. Most carry their error in the view's
 * `error` column; a few fail only in the server log and show as a row of nulls with no error
 * (a RADIUS server name that does not resolve, say). Either way a reload keeps the old rules
 * and a restart refuses to start, so every user of the parse asks here.
 */
import type { HbaFileRuleRow } from './hba-types.js';
import type { LoadedHba } from './load-hba.js';

/** Why the server fails this row's line, or null when it takes it. */
export function rowFailure(loaded: LoadedHba, row: HbaFileRuleRow): string | null {
  if (row.error !== null) return row.error;
  if (row.type !== null) return null;
  const l = loaded.files.get(row.file)?.lines.find((x) => x.line === row.line_number);
  return `${l?.kind === 'error' ? l.error : 'the server fails this line'} (only in the server log)`;
}

/** The view's rows the server fails: an error, or a row of nulls (the reason only in its log). */
export const FAILED_ROWS_SQL =
  "SELECT line_number, coalesce(error, 'the server fails this line and says why only in its log (e.g. a RADIUS server name that does not resolve)') AS error FROM pg_hba_file_rules WHERE error IS NOT NULL OR type IS NULL ORDER BY line_number";
