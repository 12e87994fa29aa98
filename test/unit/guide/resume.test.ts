import { input } from '@inquirer/prompts';
import { render } from '@inquirer/testing';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { offerOrder } from '../../../src/guide/ask-consumers.js';
import { joinCommand, questions, splitCommand, type Prompter } from '../../../src/guide/questions.js';
import {
  GUIDE_STATE_FILE,
  loadState,
  recordingPrompter,
  saveState,
  type GuideState,
} from '../../../src/guide/resume.js';

/** A prompter that answers from a list and records the questions it was asked. */
function scripted(answers: unknown[]) {
  const asked: string[] = [];
  const ask = async (c: { message: string }) => {
    asked.push(c.message);
    if (answers.length === 0) throw Object.assign(new Error('stopped'), { name: 'ExitPromptError' });
    return answers.shift();
  };
  return { p: { input: ask, select: ask, checkbox: ask, confirm: ask } as unknown as Prompter, asked };
}
const quiet = { out: () => undefined, err: () => undefined, color: false } as never;

describe('the guide resumes where it stopped', () => {
  it('records each answer as it is given, never a secret one, and saves after each', async () => {
    const state: GuideState = { answers: [] };
    let saves = 0;
    const { p } = scripted(['host=/tmp', 'agents_app', 'readonly']);
    const r = recordingPrompter(p, quiet, state, () => saves++, [], new Set([questions.dsn.message]));
    await r.input(questions.dsn);
    await r.input(questions.roleName('x_app', new Set()));
    await r.select(questions.template('app-readwrite'));
    expect(state.answers).toEqual([
      { message: 'Role name', answer: 'agents_app' },
      { message: 'Template', answer: 'readonly' },
    ]);
    expect(saves).toBe(2);
  });

  it('replays answers while the questions come back the same, then asks', async () => {
    const lines: string[] = [];
    const out = { out: (l: string) => lines.push(l), err: () => undefined, color: false } as never;
    const { p, asked } = scripted(['30', 'weekly']);
    const state: GuideState = { answers: [] };
    const r = recordingPrompter(
      p,
      out,
      state,
      () => undefined,
      [
        { message: 'Role name', answer: 'agents_app' },
        { message: 'Template', answer: 'no-such-template' },
        { message: 'Consumer name (for the plan and the report)', answer: 'never reached' },
      ],
      new Set(),
    );
    expect(await r.input(questions.roleName('x_app', new Set()))).toBe('agents_app');
    // A replayed answer that no longer fits (not among the choices) is asked again, and so is every later one.
    expect(await r.select(questions.template('app-readwrite'))).toBe('30');
    expect(await r.input(questions.consumerName(new Set()))).toBe('weekly');
    expect(asked).toEqual(['Template', 'Consumer name (for the plan and the report)']);
    expect(lines).toEqual(['✔ Role name agents_app  (as last time)']);
  });

  it('keeps the state in a 0600 file, and reads an unreadable one as none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-guide-'));
    saveState(dir, { answers: [{ message: 'Role name', answer: 'agents_app' }], specFile: '/x/harden.yaml' });
    expect(statSync(join(dir, GUIDE_STATE_FILE)).mode & 0o777).toBe(0o600);
    expect(loadState(dir)).toEqual({
      answers: [{ message: 'Role name', answer: 'agents_app' }],
      specFile: '/x/harden.yaml',
    });
    saveState(dir, {} as GuideState);
    expect(loadState(dir)).toBeNull();
  });
});

describe('consumer questions', () => {
  const found = (file: string, shown: string, user = 'postgres') =>
    ({ file, line: 1, key: null, kind: 'uri', user, database: 'w', shown }) as const;

  it('never offers first a file already chosen, and prefers the one naming the application', () => {
    const a = found('/s/agents.env', 'postgres://postgres@h/w');
    const r = found('/s/reporting.yaml', 'postgres://postgres@h/w?application_name=weekly');
    const seen = { role: 'r', user: 'postgres', application: 'weekly' };
    expect(offerOrder([a, r], new Set(), seen).map((f) => f.file)).toEqual(['/s/reporting.yaml', '/s/agents.env']);
    expect(offerOrder([a, r], new Set(['/s/reporting.yaml']), seen).map((f) => f.file)).toEqual([
      '/s/agents.env',
      '/s/reporting.yaml',
    ]);
  });

  it.each([
    ['systemctl reload agents.service', ['systemctl', 'reload', 'agents.service']],
    ["sh -c 'kill -HUP $(cat /run/a.pid)'", ['sh', '-c', 'kill -HUP $(cat /run/a.pid)']],
    ['', []],
  ])('command %j → argv', (line, argv) => {
    expect(splitCommand(line)).toEqual(argv);
    expect(splitCommand(joinCommand(argv))).toEqual(argv);
  });

  it('takes a drain timeout in whole seconds, saying what it needs', async () => {
    const { answer, events, getScreen } = await render(input, questions.drainTimeout('agents'));
    events.type('5 min');
    events.keypress('enter');
    await new Promise((r) => setTimeout(r, 20));
    expect(getScreen()).toContain('A whole number of seconds, 1 to 86400');
    for (let i = 0; i < 5; i++) events.keypress('backspace');
    events.type('90');
    events.keypress('enter');
    expect(await answer).toBe('90');
  });
});
