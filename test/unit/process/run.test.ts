import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverIdentity } from '../../../src/scratch/cluster.js';
import { runSync } from '../../../src/process/run-sync.js';
import { EXIT } from '../../../src/core/errors.js';
import { CommandError, run } from '../../../src/process/run.js';
import { rejection } from '../../support/caught.js';
import { alive, pids, until } from '../../support/processes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgharden-run-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const failure = (p: Promise<unknown>) => rejection<CommandError>(p);

/** A shell that starts a grandchild `sleep`, records both pids, then waits. */
const tree = (pidFile: string, prelude = '') => ['-c', `${prelude}sleep 60 & echo $$ $! > ${pidFile}; wait`];

describe('run', () => {
  it('returns stdout and stderr of a command that exits 0', async () => {
    expect(await run('sh', ['-c', 'echo out; echo err >&2'], { timeoutMs: 10_000 })).toEqual({
      stdout: 'out\n',
      stderr: 'err\n',
    });
  });

  it('names the command, its exit code and the last 20 lines of its stderr', async () => {
    const e = await failure(
      run('sh', ['-c', 'for i in $(seq 1 30); do echo "line $i" >&2; done; exit 4'], { timeoutMs: 10_000 }),
    );
    expect(e).toBeInstanceOf(CommandError);
    expect(e.status).toBe(4);
    expect(e.exitCode).toBe(EXIT.tool);
    expect(e.signal).toBeUndefined();
    expect(e.command).toBe('sh -c for i in $(seq 1 30); do echo "line $i" >&2; done; exit 4');
    expect(e.stderrTail.split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 11}`));
    expect(e.message).toMatch(/^sh -c for i .* failed \(exit 4\):\n {2}line 11\n[\s\S]* {2}line 30$/);
    expect(e.message).not.toContain('line 10\n');
  });

  it('shows the command as the caller names it', async () => {
    const e = await failure(
      run('sh', ['-c', 'echo nope >&2; exit 1'], { timeoutMs: 10_000, shown: 'the health check' }),
    );
    expect(e.message).toBe('the health check failed (exit 1): nope');
  });

  it('says when a command cannot be started', async () => {
    const e = await failure(run(join(dir, 'missing'), [], { timeoutMs: 10_000 }));
    expect(e.message).toBe(`${join(dir, 'missing')} could not be started (ENOENT)`);
  });

  it('ends the whole process tree at its timeout', async () => {
    const f = join(dir, 'pids');
    const started = Date.now();
    const e = await failure(run('sh', tree(f), { timeoutMs: 500 }));
    expect(e.timedOut).toBe(true);
    expect(e.message).toBe(`sh ${tree(f).join(' ')} timed out after 0.5 s and was ended with its child processes`);
    expect(Date.now() - started).toBeLessThan(5000);
    const [shell, grandchild] = pids(f);
    expect(await until(() => !alive(shell!) && !alive(grandchild!), 5000)).toBe(true);
  });

  it('kills a tree that ignores SIGTERM after the grace period', async () => {
    const f = join(dir, 'pids');
    const started = Date.now();
    const e = await failure(run('sh', tree(f, "trap '' TERM; "), { timeoutMs: 300 }));
    expect(e.timedOut).toBe(true);
    const [shell, grandchild] = pids(f);
    expect(await until(() => !alive(shell!) && !alive(grandchild!), 5000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('keeps output up to its bound and ends a command that writes more', async () => {
    expect(
      (await run('sh', ['-c', 'head -c 1000 /dev/zero | tr "\\0" x'], { timeoutMs: 10_000, maxOutput: 1000 })).stdout,
    ).toHaveLength(1000);
    const f = join(dir, 'pids');
    const started = Date.now();
    const e = await failure(
      run('sh', ['-c', `sleep 60 & echo $$ $! > ${f}; yes`], { timeoutMs: 60_000, maxOutput: 1000 }),
    );
    expect(e.message).toMatch(/wrote more output than pgharden keeps and was ended$/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const [shell, grandchild] = pids(f);
    expect(await until(() => !alive(shell!) && !alive(grandchild!), 5000)).toBe(true);
  });

  it('streams stdout to a function, with nothing kept', async () => {
    const chunks: Buffer[] = [];
    const r = await run('sh', ['-c', 'head -c 3000000 /dev/zero'], {
      timeoutMs: 10_000,
      maxOutput: 1000,
      onStdout: (c) => chunks.push(c),
    });
    expect(Buffer.concat(chunks).length).toBe(3_000_000);
    expect(r.stdout).toBe('');
  });

  it('runs with the given environment (only it), directory and stdin', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template.
    const r = await run('sh', ['-c', 'echo "$FOO ${HOME:-no home}"; pwd; cat'], {
      timeoutMs: 10_000,
      env: { FOO: 'bar', PATH: process.env.PATH },
      cwd: dir,
      input: 'from stdin',
    });
    expect(r.stdout).toBe(`bar no home\n${dir}\nfrom stdin`);
  });

  it.runIf(process.getuid?.() === 0)('runs as another uid and gid (as root: the server OS user)', async () => {
    const ids = serverIdentity();
    expect((await run('id', ['-u'], { timeoutMs: 10_000, ...ids })).stdout.trim()).toBe(String(ids.uid));
    expect((await run('id', ['-g'], { timeoutMs: 10_000, ...ids })).stdout.trim()).toBe(String(ids.gid));
    expect(runSync('id', ['-u'], { timeoutMs: 10_000, ...ids }).stdout.trim()).toBe(String(ids.uid));
  });
});

describe('runSync', () => {
  it('returns the output, or a CommandError with exit code and stderr', () => {
    expect(runSync('sh', ['-c', 'echo hi'], { timeoutMs: 10_000 }).stdout).toBe('hi\n');
    expect(() => runSync('sh', ['-c', 'echo why >&2; exit 2'], { timeoutMs: 10_000 })).toThrow(
      'sh -c echo why >&2; exit 2 failed (exit 2): why',
    );
  });

  it('ends a command at its timeout', () => {
    expect(() => runSync('sleep', ['60'], { timeoutMs: 200 })).toThrow('sleep 60 timed out after 0.2 s');
  });
});
