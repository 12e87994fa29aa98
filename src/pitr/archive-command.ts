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
  /** The pgBackRest configuration file pgharden wrote for this stanza. */
  configFile: string;
}

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
