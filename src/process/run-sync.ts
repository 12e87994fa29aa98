/**
 * The synchronous form of `run`, for a quick probe (`pg_dump --version`, `getconf`) and for an
 * exit hook, where nothing asynchronous runs any more. It loads execa when it is loaded (a
 * synchronous call cannot wait for an import), so it lives apart from `run`.
 */
import { execaSync } from 'execa';
import { commandError } from './command-error.js';
import { DEFAULT_MAX_OUTPUT, type RunOptions, type RunResult } from './run.js';

/**
 * Runs `file` with `args` and waits. Its timeout ends the command itself (a synchronous wait
 * cannot watch a process group): keep it to commands that start no children.
 */
export function runSync(file: string, args: string[], o: Omit<RunOptions, 'onStdout'>): RunResult {
  const r = execaSync(file, args, {
    ...(o.input === undefined ? { stdin: 'ignore' as const } : { input: o.input as string | Buffer }),
    ...(o.env === undefined ? {} : { env: o.env, extendEnv: false }),
    ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
    ...(o.uid === undefined ? {} : { uid: o.uid, gid: o.gid ?? o.uid }),
    maxBuffer: o.maxOutput ?? DEFAULT_MAX_OUTPUT,
    timeout: o.timeoutMs,
    killSignal: 'SIGKILL',
    stripFinalNewline: false,
    reject: false,
  });
  if (!r.failed) return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  throw commandError(o.shown ?? [file, ...args].join(' '), o.timeoutMs, r);
}
