/**
 * The flip's treatment of postgresql.conf in Debian's layout (configFileMode `auto`): pg_wrapper
 * reads /etc/postgresql/V/NAME/postgresql.conf for every OS user's psql and pg_dump, so closing it
 * (0600) breaks them ("Invalid data directory for cluster"). Instead the settings that hold a
 * password move to a 0600 file in conf.d owned by the server, their lines in postgresql.conf become
 * comments, and postgresql.conf keeps its mode. Rollback puts postgresql.conf back byte for byte
 * and removes the new file.
 */
import { relative } from 'node:path';
import type { PlanInput } from './input.js';
import { fileState, restoreUndo } from './stage-network.js';
import type { State, Step } from './plan-types.js';

/**
 * Whether postgresql.conf is handled this way: Debian's layout, `auto`, and either nothing in it
 * holds a password or what does can move (else it is closed to 0600 as elsewhere).
 */
export function keepsConfigReadable(input: PlanInput): boolean {
  const f = input.configFacts;
  return input.spec.configFileMode === 'auto' && f.debianLayout && (f.secretSettings.length === 0 || !!f.split);
}

/** The steps that move the secret-bearing settings out (none when nothing holds a password). */
export function confSecretSteps(input: PlanInput): Step[] {
  const split = input.configFacts.split;
  if (!keepsConfigReadable(input) || !split) return [];
  const conf = input.configFile;
  const to = split.file.path;
  const shown = relative(conf.path.replace(/\/[^/]*$/, ''), to);
  const { uid, gid } = input.serverUser;
  const names = split.names.join(', ');
  return [
    {
      id: 'flip/conf-secrets-file',
      stage: 'flip',
      kind: 'file',
      description: `Write ${to} (mode 0600, owned by ${input.serverUser.name}) with ${names} as postgresql.conf sets them: they hold a password, and postgresql.conf stays readable for other OS users' psql and pg_dump (Debian's pg_wrapper reads it)`,
      forward: { do: 'copy-settings', from: conf.path, to, names: split.names, mode: 0o600, uid, gid },
      verify: [],
      undo: split.file.sha256 === null ? { do: 'remove-file', path: to } : restoreUndo(input, split.file),
      before: [fileState(split.file)],
      after: [{ of: 'file', path: to, sha256: split.movedSha256, mode: 0o600, uid, gid } as State],
      transactional: false,
      restartRequired: false,
    },
    {
      id: 'flip/conf-secrets-out',
      stage: 'flip',
      kind: 'file',
      description: `Turn ${names} in ${conf.path} into comments naming ${shown} (no value left in the file); its mode stays ${conf.mode?.toString(8).padStart(4, '0')}`,
      forward: { do: 'comment-settings', path: conf.path, names: split.names, to: shown },
      verify: [],
      undo: restoreUndo(input, conf),
      before: [fileState(conf)],
      after: [{ ...fileState(conf), sha256: split.keptSha256 } as State],
      transactional: false,
      restartRequired: false,
    },
  ];
}
