/**
 * The guide's memory between runs: every answer given so far (never a connection string, which
 * may hold a password), the spec it wrote, the plan it made and whether apply had started, in
 * .pgharden-guide.json beside the spec (mode 0600). After a Ctrl-C or a lost terminal, the next
 * `pgharden guide` replays the answers whose questions come back the same, and asks from there.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Output } from '../render/output.js';
import type { Prompter } from './questions.js';

/** The guide state file's name, in the directory the guide runs in. */
export const GUIDE_STATE_FILE = '.pgharden-guide.json';

/** One question and the answer given to it. */
export interface Answer {
  message: string;
  answer: unknown;
}

/** How far a guided session got. */
export interface GuideState {
  answers: Answer[];
  /** The spec this session wrote (its own: replaced without asking on resume). */
  specFile?: string;
  planDir?: string;
  /** Apply started on planDir: a resumed session resumes the apply, never a new plan. */
  applying?: boolean;
}

/** The saved state in `cwd`, or null when there is none (or it is unreadable: then start over). */
export function loadState(cwd: string): GuideState | null {
  const file = join(cwd, GUIDE_STATE_FILE);
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as GuideState;
    return Array.isArray(s.answers) ? s : null;
  } catch {
    return null;
  }
}

export function saveState(cwd: string, s: GuideState): void {
  writeFileSync(join(cwd, GUIDE_STATE_FILE), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
}

export function clearState(cwd: string): void {
  rmSync(join(cwd, GUIDE_STATE_FILE), { force: true });
}

type Config = { message: string; validate?: (v: string) => unknown; choices?: readonly unknown[] };

/** A replayed answer still fits the question as asked now (same choices, still valid). */
function fits(config: Config, answer: unknown): boolean {
  const values = config.choices?.map((c) => (typeof c === 'object' && c !== null && 'value' in c ? c.value : c));
  if (values && Array.isArray(answer)) return answer.every((a) => values.includes(a));
  if (values) return values.includes(answer);
  if (config.validate && typeof answer === 'string') return config.validate(answer) === true;
  return true;
}

/**
 * A prompter that records every answer into `state` (saved after each one) and first replays
 * `replay`, as long as each question comes back the same; `secret` questions are never recorded.
 */
export function recordingPrompter(
  p: Prompter,
  o: Output,
  state: GuideState,
  save: () => void,
  replay: Answer[],
  secret: ReadonlySet<string>,
): Prompter {
  const queue = [...replay];
  const wrap =
    <F extends (config: never, ...rest: never[]) => Promise<unknown>>(ask: F) =>
    async (config: Config) => {
      const next = queue[0];
      let answer: unknown;
      if (next && next.message === config.message && fits(config, next.answer)) {
        queue.shift();
        answer = next.answer;
        o.out(`✔ ${config.message} ${Array.isArray(answer) ? answer.join(', ') : String(answer)}  (as last time)`);
      } else {
        queue.length = 0;
        answer = await (ask as unknown as (c: Config) => Promise<unknown>)(config);
      }
      if (!secret.has(config.message)) {
        state.answers.push({ message: config.message, answer });
        save();
      }
      return answer;
    };
  return {
    input: wrap(p.input),
    select: wrap(p.select),
    checkbox: wrap(p.checkbox),
    confirm: wrap(p.confirm),
  } as unknown as Prompter;
}
