import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../../src/spec/spec.js';
import { questions, type Prompter } from '../../../src/guide/questions.js';
import { recordingPrompter, type GuideState } from '../../../src/guide/resume.js';
import { specHints } from '../../../src/guide/spec-hints.js';
import { suggestRanges } from '../../../src/guide/proposals.js';
import { storySnapshot } from '../plan/fixtures.js';

/** A prompter that answers each question with its default (checkbox: the checked choices), keeping the configs it saw. */
function defaults() {
  const seen: { message: string; default?: unknown; choices?: { value: unknown; checked?: boolean }[] }[] = [];
  const ask = (kind: string) => async (c: (typeof seen)[number]) => {
    seen.push(c);
    return kind === 'checkbox' ? (c.choices ?? []).filter((x) => x.checked).map((x) => x.value) : c.default;
  };
  return {
    p: {
      input: ask('input'),
      select: ask('select'),
      checkbox: ask('checkbox'),
      confirm: ask('confirm'),
    } as unknown as Prompter,
    seen,
  };
}
const quiet = { out: () => undefined, err: () => undefined, color: false } as never;

describe("the guide's defaults", () => {
  it('offers the saved answers not replayed as defaults, each once, once a question differs', async () => {
    const { p, seen } = defaults();
    const state: GuideState = { answers: [] };
    const r = recordingPrompter(
      p,
      quiet,
      state,
      () => undefined,
      [
        { message: 'Template', answer: 'not-a-template' },
        { message: questions.databases('agents_app', '').message, answer: 'workspace reports' },
        { message: questions.drainTimeout('agents').message, answer: '45' },
      ],
      new Set(),
    );
    expect(await r.select(questions.template('app-readwrite'))).toBe('app-readwrite');
    expect(await r.input(questions.databases('agents_app', 'postgres'))).toBe('workspace reports');
    expect(await r.input(questions.drainTimeout('agents'))).toBe('45');
    // Used once: the same question asked again has its own default.
    expect(await r.input(questions.drainTimeout('agents'))).toBe('300');
    expect(seen.map((c) => c.default)).toEqual(['app-readwrite', 'workspace reports', '45', '300']);
  });

  it("offers an existing spec's values, worded as the questions are asked on this server", async () => {
    const snapshot = storySnapshot();
    const offered = suggestRanges(snapshot).map((s) => s.range);
    const spec = parseSpec(
      [
        'network:',
        `  trustedRanges: [${offered[0]}, 192.0.2.0/24]`,
        '  listenAddresses: "127.0.0.1,10.8.0.1"',
        'configFileMode: "0640"',
        'roles: [{ name: agents_app, template: readonly, databases: [workspace] }]',
        'consumers: [{ name: agents, file: /srv/agents.env, role: agents_app, drainTimeout: 60, reload: [systemctl, reload, agents] }]',
        '',
      ].join('\n'),
      'harden.yaml',
    );
    const { p, seen } = defaults();
    const r = recordingPrompter(p, quiet, { answers: [] }, () => undefined, [], new Set(), specHints(spec, snapshot));
    const checked = await r.checkbox({
      message: 'Trusted ranges: where your consumers connect from',
      choices: offered.map((range) => ({ value: range, name: range, checked: false })),
    });
    expect(checked).toEqual([offered[0]]);
    expect(await r.input(questions.extraRange)).toBe('192.0.2.0/24');
    expect(await r.input(questions.extraRange)).toBe('');
    expect(await r.input(questions.listenAddresses(snapshot.settings.listen_addresses ?? ''))).toBe(
      '127.0.0.1,10.8.0.1',
    );
    expect(await r.select(questions.configFileMode)).toBe('0640');
    // The spec has no tls section: off, although the audit's findings would propose verify-full.
    expect(await r.select(questions.tls('verify-full'))).toBe('off');
    expect(await r.input(questions.roleName('postgres_app', new Set()))).toBe('agents_app');
    expect(await r.select(questions.template('app-readwrite'))).toBe('readonly');
    expect(await r.input(questions.databases('agents_app', 'postgres'))).toBe('workspace');
    expect(await r.input(questions.reload('agents', ''))).toBe('systemctl reload agents');
    expect(await r.input(questions.health('agents', ''))).toBe('');
    expect(await r.input(questions.drainTimeout('agents'))).toBe('60');
    expect(seen).toHaveLength(12);
  });
});
