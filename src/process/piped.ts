/**
 * A long-lived child with its three streams piped, for what is not a command that runs and ends
 * (`run` is for those): the peer relay under a socket (cluster/peer-relay.ts) copies bytes for as
 * long as its connection lives, and its owner ends it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export type PipedChild = ChildProcessWithoutNullStreams;

/** Starts `command args` with piped stdio, as this uid/gid when given. */
export function startPiped(
  command: string,
  args: readonly string[],
  o: {
    uid?: number | undefined;
    gid?: number | undefined;
    cwd?: string | undefined;
    env?: NodeJS.ProcessEnv | undefined;
  } = {},
): PipedChild {
  return spawn(command, args, {
    stdio: 'pipe',
    ...(o.uid !== undefined ? { uid: o.uid } : {}),
    ...(o.gid !== undefined ? { gid: o.gid } : {}),
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    ...(o.env !== undefined ? { env: o.env } : {}),
  });
}
