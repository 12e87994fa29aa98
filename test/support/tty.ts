/**
 * Driving `pgharden guide` through a real pseudo-terminal (tmux): start it in a directory,
 * answer each question when it is on the screen, read the screen.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from './cli.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/**
 * How long a screen may take to show what a test waits for: a hang detector, not a speed limit.
 * A question shows in under a second on a quiet machine; two minutes covers any load the tests
 * are run under (README, "Tests"), and only a test that is already wrong waits it out.
 */
export const SCREEN_WAIT = 120_000;
const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });

/** One guide session in a tmux window; `ask` counts each question's occurrences, so a repeated one waits for its next showing. */
export function guideTerminal(name: string, port: number) {
  const session = `pgharden-${name}-${process.pid}`;
  let asked = new Map<string, number>();
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-3000').stdout ?? '';
  const count = (text: string) => screen().split(text).length - 1;
  /** Waits until the screen shows `text` at least `times` times, then returns the screen. */
  const waitFor = async (text: string, timeoutMs = SCREEN_WAIT, times = 1) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (count(text) >= times) return screen();
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the screen never showed "${text}"${times > 1 ? ` ${times} times` : ''}:\n${screen()}`);
  };
  const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k);
  return {
    screen,
    waitFor,
    keys,
    /** Waits for the next showing of a question, then types `k` (Enter alone: the default). */
    async ask(question: string, ...k: string[]) {
      const n = (asked.get(question) ?? 0) + 1;
      asked.set(question, n);
      await waitFor(question, SCREEN_WAIT, n);
      keys(...(k.length ? k : ['Enter']));
    },
    /** Starts `pgharden guide` in `cwd` (a fresh window; the previous one is closed), with extra environment. */
    start(cwd: string, env: Record<string, string> = {}) {
      tmux('kill-session', '-t', session);
      asked = new Map();
      const script = join(cwd, '.guide.sh');
      writeFileSync(
        script,
        [
          '#!/bin/sh',
          // Ctrl-C outside a question (during apply) ends pgharden, not this script: the exit code is still shown.
          "trap 'true' INT",
          `cd '${cwd}'`,
          `export PGHOST=127.0.0.1 PGPORT=${port} PGUSER=postgres PGDATABASE=postgres NO_COLOR=1`,
          ...Object.entries(env).map(([k, v]) => `export ${k}='${v}'`),
          `'${process.execPath}' '${CLI}' guide`,
          'echo "GUIDE EXIT=$?"',
          'sleep 600',
        ].join('\n'),
        { mode: 0o755 },
      );
      if (tmux('new-session', '-d', '-s', session, '-x', '250', '-y', '60', script).status !== 0)
        throw new Error('tmux could not start the guide');
    },
    /** Waits for the guide to end; returns the screen. */
    end: (timeoutMs = 2 * SCREEN_WAIT) => waitFor('GUIDE EXIT=', timeoutMs),
    close: () => tmux('kill-session', '-t', session),
  };
}

/** One pgharden command in a tmux window (a real terminal, so Ctrl-C goes to it as from a keyboard). */
export function commandTerminal(name: string) {
  const session = `pgharden-${name}-${process.pid}`;
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-3000').stdout ?? '';
  const waitFor = async (text: string, timeoutMs = SCREEN_WAIT) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (screen().includes(text)) return screen();
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the screen never showed "${text}":\n${screen()}`);
  };
  return {
    screen,
    waitFor,
    keys: (...k: string[]) => tmux('send-keys', '-t', session, ...k),
    /** Starts `pgharden ARGS` in `cwd`; the screen shows `EXIT=N` when it ends. */
    start(cwd: string, args: string[]) {
      tmux('kill-session', '-t', session);
      const script = join(cwd, `.${name}.sh`);
      writeFileSync(
        script,
        [
          '#!/bin/sh',
          "trap 'true' INT",
          `cd '${cwd}'`,
          'export NO_COLOR=1',
          `'${process.execPath}' '${CLI}' ${args.map((a) => `'${a}'`).join(' ')}`,
          'echo "EXIT=$?"',
          'sleep 600',
        ].join('\n'),
        { mode: 0o755 },
      );
      if (tmux('new-session', '-d', '-s', session, '-x', '250', '-y', '60', script).status !== 0)
        throw new Error('tmux could not start pgharden');
    },
    close: () => tmux('kill-session', '-t', session),
  };
}
