/**
 * The text of pgBackRest's path options (`pitr enable`'s --repo, --config, --log-path, `pitr
 * drill`'s --scratch-dir) and of the stanza name, checked by one function the same way before
 * connecting: absolute, no `..`, no line break, quote or other character a shell or pgBackRest's
 * file would read differently. Every problem is listed in one input error (exit 2).
 * enable-places.ts then checks where those paths are on this machine.
 */
import { InputError } from '../core/errors.js';

// pgBackRest's file takes one option a line and the archive_command goes through a shell: paths
// of these characters mean the same to a reader, to sh and to pgBackRest.
const PLAIN = /^[A-Za-z0-9_./@+-]+$/;

/** What is wrong with one path option's text (empty: nothing); `flag` names it in each reason. */
export function pathProblems(flag: string, value: string): string[] {
  const shown = JSON.stringify(value);
  const out: string[] = [];
  if (!value.startsWith('/')) out.push(`${flag} ${shown} is not an absolute path`);
  if (value.split('/').includes('..')) out.push(`${flag} ${shown} has a ".." in it: give the directory itself`);
  if (/[\x00-\x1f\x7f]/.test(value))
    out.push(`${flag} ${shown} holds a control character (a line break would add lines to pgBackRest's configuration)`);
  else if (/['"`\\]/.test(value)) out.push(`${flag} ${shown} holds a quote or a backslash`);
  else if (value !== '' && !PLAIN.test(value))
    out.push(`${flag} ${shown} holds characters other than letters, digits and ._-/@+`);
  return out;
}

/** What is wrong with a stanza name: it names a file (STANZA.conf) and a section, never a path. */
export function stanzaProblems(stanza: string): string[] {
  return /^[A-Za-z0-9][A-Za-z0-9_.@+-]*$/.test(stanza) && !stanza.includes('..')
    ? []
    : [`--stanza ${JSON.stringify(stanza)} is not a plain name (letters, digits and ._-@+, no "/" or "..")`];
}

/** Throws the input error (exit 2) for every problem found in the flags' text. */
export function refuseInput(
  problems: string[],
  verb = 'pitr enable',
  next = 'give each path as a plain absolute directory, e.g. --repo /var/lib/pgbackrest --log-path /var/log/pgbackrest',
): void {
  if (problems.length)
    throw new InputError(
      `${verb} cannot use ${problems.length === 1 ? 'this value' : 'these values'} (nothing was changed):\n  - ${problems.join('\n  - ')}`,
      next,
    );
}
