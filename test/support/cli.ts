import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI, as package.json's "bin" names it (npm test builds first). */
export const CLI = fileURLToPath(new URL('../../dist/bin/pgharden.js', import.meta.url));

/**
 * The test-only entry point (fault-cli.mjs): installs PGHARDEN_FAULT's fault, then runs the same
 * CLI. `npm run build` bundles it as it bundles the command (scripts/bundle-cli.mjs).
 */
export const FAULT_CLI = fileURLToPath(new URL('../.bin/pgharden-fault.js', import.meta.url));

/** A run with PGHARDEN_FAULT goes through the test entry point: the released CLI ignores the variable. */
const entry = (env: NodeJS.ProcessEnv) => (env.PGHARDEN_FAULT === undefined ? CLI : FAULT_CLI);

/** Runs `pgharden ARGS` as a subprocess, as a user would; no colour. */
export function pgharden(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [entry(env), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    // A hang detector, as in vitest.config.ts: a whole demo or apply on a loaded machine is slower, never red.
    timeout: 600_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `pgharden ARGS` without blocking the event loop, so a test can do other work meanwhile. */
export function pghardenAsync(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  /** Called with the output so far each time stdout grows, so a test can act at a moment of the run. */
  onStdout?: (stdout: string) => void,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry(env), ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
