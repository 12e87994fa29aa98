import { input, select } from '@inquirer/prompts';
import { render } from '@inquirer/testing';
import { describe, expect, it } from 'vitest';
import { questions, validateRange, validateRoleName } from '../../../src/guide/questions.js';

describe('guide questions', () => {
  it.each([
    ['10.8.0.0/24', true],
    ['fd00::/64', true],
    ['10.8.0.0', 'Enter a range in CIDR form, e.g. 10.8.0.0/24'],
    ['10.8.0.0/33', 'Enter a range in CIDR form, e.g. 10.8.0.0/24'],
    ['0.0.0.0/0', 'A /0 range is the whole internet: pick the network your consumers are on'],
  ])('range %s → %s', (v, expected) => {
    expect(validateRange(v)).toBe(expected);
  });

  it.each([
    ['agents_app', true],
    ['Agents', 'Use lower-case letters, digits and _, starting with a letter (no quoting needed then)'],
    ['pg_app', 'Names starting with pg_ are reserved for PostgreSQL'],
    ['postgres', 'Role postgres already exists; choose a new name'],
    ['a'.repeat(64), 'PostgreSQL names are at most 63 bytes'],
  ])('role name %s → %s', (v, expected) => {
    expect(validateRoleName(v, new Set(['postgres']))).toBe(expected);
  });

  it('shows the validation error on the screen and takes the corrected answer', async () => {
    const { answer, events, getScreen } = await render(input, questions.roleName('agents_app', new Set(['postgres'])));
    events.keypress('backspace');
    for (let i = 0; i < 12; i++) events.keypress('backspace');
    events.type('postgres');
    events.keypress('enter');
    await new Promise((r) => setTimeout(r, 20));
    expect(getScreen()).toContain('Role postgres already exists; choose a new name');
    for (let i = 0; i < 8; i++) events.keypress('backspace');
    events.type('agents_rw');
    events.keypress('enter');
    expect(await answer).toBe('agents_rw');
  });

  it('keeps the suggested name on Enter, and offers the templates with what each grants', async () => {
    const name = await render(input, questions.roleName('agents_app', new Set()));
    name.events.keypress('enter');
    expect(await name.answer).toBe('agents_app');
    const t = await render(select, questions.template('readonly'));
    expect(t.getScreen()).toContain('readonly');
    t.events.keypress('up');
    t.events.keypress('enter');
    expect(await t.answer).toBe('app-readwrite');
  });

  it('stops on Ctrl-C with the error the CLI turns into "stopped at your request"', async () => {
    const { answer, events } = await render(input, questions.extraRange);
    events.keypress({ name: 'c', ctrl: true });
    await expect(answer).rejects.toMatchObject({ name: 'ExitPromptError' });
  });
});
