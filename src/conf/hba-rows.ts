/**
 * Rows in the shape and with the values of the `pg_hba_file_rules` view, for one parsed file
 * (include directives are followed by the loader, see load-hba.ts).
 */
import type { ServerContext } from './context.js';
import { viewOptions } from './hba-options.js';
import type { ErrorLine, HbaFileRuleRow, HbaLine, HbaRule, HbaToken, RecordLine } from './hba-types.js';

/** A database or user token as the view prints it: without its quotes. */
function viewToken(t: HbaToken): string {
  return t.value;
}

function ruleRow(file: string, line: number, rule: HbaRule, ctx: ServerContext, error: string | null): HbaFileRuleRow {
  const a = rule.address;
  return {
    file,
    line_number: line,
    type: rule.type,
    database: rule.databases.map(viewToken),
    user_name: rule.users.map(viewToken),
    address: a === undefined ? null : a.kind === 'cidr' ? a.address : a.kind === 'hostname' ? a.name : a.kind,
    netmask: a?.kind === 'cidr' ? a.mask : null,
    auth_method: rule.method,
    options:
      rule.options.length === 0 && rule.method !== 'cert' && rule.method !== 'gss' && rule.method !== 'sspi'
        ? null
        : viewOptions(rule, ctx),
    error,
  };
}

/** The view's row for one record or error line. */
export function hbaRow(line: RecordLine | ErrorLine, file: string, ctx: ServerContext): HbaFileRuleRow {
  if (line.kind === 'record') return ruleRow(file, line.line, line.rule, ctx, null);
  const error = line.viewError === undefined ? line.error : line.viewError;
  if (line.rule) return ruleRow(file, line.line, line.rule, ctx, error);
  return errorRow(file, line.line, error);
}

/** The view's row for a line it could not read as a rule: every field null but the error. */
export function errorRow(file: string, line: number, error: string | null): HbaFileRuleRow {
  return {
    file,
    line_number: line,
    type: null,
    database: null,
    user_name: null,
    address: null,
    netmask: null,
    auth_method: null,
    options: null,
    error,
  };
}

/** The view's rows for a single file, in file order (include lines produce none here). */
export function hbaRows(lines: readonly HbaLine[], opts: { file: string; context: ServerContext }): HbaFileRuleRow[] {
  const rows: HbaFileRuleRow[] = [];
  for (const l of lines) if (l.kind === 'record' || l.kind === 'error') rows.push(hbaRow(l, opts.file, opts.context));
  return rows;
}
