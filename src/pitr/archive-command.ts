/**
 * The one place pgharden's pgBackRest set-up is written down on the server: `archive_command`.
 * `pitr enable` writes it in exactly this shape, and `pitr backup`, `pitr drill`, `runbook` and the
 * audit read the stanza and the configuration file back from the live setting, so there is no
 * second record that could disagree with what the server really runs.
 */

/** Where pgBackRest's settings for one cluster live. */
export interface ArchiveTarget {
  /** The pgBackRest stanza (Debian's `15/main` becomes `15-main`). */
  stanza: string;
  /** The pgBackRest configuration file pgharden wrote for this stanza (or the one a hand-written archive_command names). */
  configFile: string;
  /** A hand-written archive_command that names no --config: pgBackRest's own defaults apply, so pgharden passes none either. */
  defaultConfig?: boolean;
  /** Not written by pgharden: pgharden reads this set-up and runs pgBackRest with it, and never changes its configuration. */
  adopted?: boolean;
}

/** pgBackRest's configuration file when none is named. */
export const DEFAULT_CONFIG = '/etc/pgbackrest/pgbackrest.conf';

// pgBackRest's option values here are file paths and stanza names; pgharden refuses anything a
// shell would need quoting for, so the command is the same to a reader, to sh and to this parser.
const PLAIN = /^[A-Za-z0-9_./@+-]+$/;

/** The archive_command for a target; throws on a name or path that would need shell quoting. */
export function archiveCommand(t: ArchiveTarget): string {
  for (const [what, value] of [
    ['stanza', t.stanza],
    ['configuration file', t.configFile],
  ] as const) {
    if (!PLAIN.test(value)) throw new Error(`pgBackRest ${what} "${value}" has characters a shell would need quoted`);
  }
  return `pgbackrest --config=${t.configFile} --stanza=${t.stanza} archive-push %p`;
}

/** The target an archive_command written by `archiveCommand` names; null for any other command. */
export function parseArchiveCommand(command: string): ArchiveTarget | null {
  const m = /^pgbackrest --config=(\S+) --stanza=(\S+) archive-push %p$/.exec(command.trim());
  if (!m || !PLAIN.test(m[1]!) || !PLAIN.test(m[2]!)) return null;
  return { configFile: m[1]!, stanza: m[2]! };
}

/**
 * The set-up a hand-written pgBackRest archive_command names: `[/path/]pgbackrest` with `--stanza`
 * (and `--config`, else pgBackRest's default) as `--opt=value` or `--opt value`, `archive-push`
 * and `%p`. Null when the command is anything else, or carries other options (they would not be
 * carried to the backup, restore and info pgharden runs, which then could read another set-up).
 */
export function adoptArchiveCommand(command: string): ArchiveTarget | null {
  const ours = parseArchiveCommand(command);
  if (ours) return ours;
  const words = command.trim().split(/\s+/);
  if (!/(^|\/)pgbackrest$/.test(words[0] ?? '')) return null;
  const opts: Record<string, string> = {};
  let push = false;
  let p = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    const m = /^--(stanza|config)(?:=(.*))?$/.exec(w);
    if (m) {
      const value = m[2] ?? words[++i];
      if (value === undefined || !PLAIN.test(value) || opts[m[1]!] !== undefined) return null;
      opts[m[1]!] = value;
    } else if (w === 'archive-push' && !push) push = true;
    else if (w === '%p' && push && !p) p = true;
    else return null;
  }
  if (!push || !p || !opts.stanza) return null;
  return opts.config
    ? { stanza: opts.stanza, configFile: opts.config, adopted: true }
    : { stanza: opts.stanza, configFile: DEFAULT_CONFIG, defaultConfig: true, adopted: true };
}

/** `--stanza NAME [--config FILE]` given to pitr backup, pitr drill or runbook: the set-up when archive_command does not say it plainly. */
export interface TargetOverride {
  stanza?: string;
  config?: string;
}

/** The set-up to use: the override's stanza (and config, else pgBackRest's default) when given, else what archive_command names. */
export function targetFor(command: string, o: TargetOverride = {}): ArchiveTarget | null {
  if (o.config !== undefined && o.stanza === undefined)
    throw new Error('--config needs --stanza: pgBackRest runs one stanza of a configuration');
  if (o.stanza === undefined) return adoptArchiveCommand(command);
  for (const v of [o.stanza, o.config]) {
    if (v !== undefined && !PLAIN.test(v))
      throw new Error(`"${v}" has characters a shell would need quoted: give a plain stanza name and file path`);
  }
  return o.config
    ? { stanza: o.stanza, configFile: o.config, adopted: true }
    : { stanza: o.stanza, configFile: DEFAULT_CONFIG, defaultConfig: true, adopted: true };
}

/** The `--config=FILE --stanza=NAME` a pgBackRest command for this target starts with (no --config for pgBackRest's defaults). */
export const targetArgs = (t: ArchiveTarget): string[] => [
  ...(t.defaultConfig ? [] : [`--config=${t.configFile}`]),
  `--stanza=${t.stanza}`,
];
