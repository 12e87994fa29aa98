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

type Config = {
  message: string;
  validate?: (v: string) => unknown;
  choices?: readonly unknown[];
  default?: unknown;
};

/** A replayed answer still fits the question as asked now (same choices, still valid). */
function fits(config: Config, answer: unknown): boolean {
  const values = config.choices?.map((c) => (typeof c === 'object' && c !== null && 'value' in c ? c.value : c));
  if (values && Array.isArray(answer)) return answer.every((a) => values.includes(a));
  if (values) return values.includes(answer);
  if (config.validate && typeof answer === 'string') return config.validate(answer) === true;
  return true;
}

/**
 * The question with `hint` as its default: an input's text, a select's or a confirm's value, a
 * checkbox's checked choices. The DBA still sees the question and may change the answer.
 */
export function withDefault(config: Config, hint: unknown, kind: 'input' | 'select' | 'checkbox' | 'confirm'): Config {
  if (kind === 'checkbox' && Array.isArray(hint) && config.choices)
    return {
      ...config,
      choices: config.choices.map((c) =>
        typeof c === 'object' && c !== null && 'value' in c ? { ...c, checked: hint.includes(c.value) } : c,
      ),
    };
  if (kind === 'input') return { ...config, default: Array.isArray(hint) ? hint.join(' ') : String(hint) };
  if (kind === 'checkbox') return config;
  return { ...config, default: hint };
}

/**
 * A prompter that records every answer into `state` (saved after each one) and first replays
 * `replay`, as long as each question comes back the same; `secret` questions are never recorded.
 * Once a question differs, the answers not replayed become defaults: a question asked with the
 * same words gets the saved answer as its default, as does one that `hints` (an existing spec's
 * values, added while the session runs) has an answer for; each default is used once, in order.
 */
export function recordingPrompter(
  p: Prompter,
  o: Output,
  state: GuideState,
  save: () => void,
  replay: Answer[],
  secret: ReadonlySet<string>,
  hints: Answer[] = [],
): Prompter {
  const queue = [...replay];
  const hint = (config: Config): { answer: unknown } | null => {
    const i = hints.findIndex((h) => h.message === config.message && fits(config, h.answer));
    return i < 0 ? null : { answer: hints.splice(i, 1)[0]!.answer };
  };
  const wrap =
    <F extends (config: never, ...rest: never[]) => Promise<unknown>>(
      ask: F,
      kind: 'input' | 'select' | 'checkbox' | 'confirm',
    ) =>
    async (config: Config) => {
      const next = queue[0];
      let answer: unknown;
      if (next && next.message === config.message && fits(config, next.answer)) {
        queue.shift();
        answer = next.answer;
        o.out(`✔ ${config.message} ${Array.isArray(answer) ? answer.join(', ') : String(answer)}  (as last time)`);
      } else {
        // The saved answers not replayed are offered as defaults, ahead of the spec's values.
        hints.unshift(...queue.splice(0));
        const h = hint(config);
        answer = await (ask as unknown as (c: Config) => Promise<unknown>)(
          h ? withDefault(config, h.answer, kind) : config,
        );
      }
      if (!secret.has(config.message)) {
        state.answers.push({ message: config.message, answer });
        save();
      }
      return answer;
    };
  return {
    input: wrap(p.input, 'input'),
    select: wrap(p.select, 'select'),
    checkbox: wrap(p.checkbox, 'checkbox'),
    confirm: wrap(p.confirm, 'confirm'),
  } as unknown as Prompter;
}
