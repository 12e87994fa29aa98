import { describe, expect, it } from 'vitest';
import { askNetwork } from '../../../src/guide/ask-network.js';
import type { Prompter } from '../../../src/guide/questions.js';
import { storySnapshot } from '../plan/fixtures.js';

/** Answers each question with its default (extra ranges: one, then done), keeping what was said. */
function script() {
  const said: string[] = [];
  const asked: { message: string; default?: unknown }[] = [];
  let ranges = 0;
  const p = {
    checkbox: async () => [],
    input: async (c: { message: string; default?: string }) => {
      asked.push(c);
      if (c.message.startsWith('Another trusted range')) return ranges++ === 0 ? '10.8.0.0/24' : '';
      return c.default ?? '';
    },
    select: async (c: { message: string; default?: unknown }) => {
      asked.push(c);
      return c.default;
    },
    confirm: async () => true,
  } as unknown as Prompter;
  const o = { out: (l: string) => said.push(l), err: (l: string) => said.push(l), color: false } as never;
  return { p, o, said, asked };
}

describe("the guide's TLS question", () => {
  it('proposes verify-full when the audit finds TLS missing, and the spec then asks for it', async () => {
    const s = script();
    const answers = await askNetwork(s.p, s.o, storySnapshot(), ['hba-trust-network', 'ssl-off-network']);
    expect(s.asked.find((q) => q.message.startsWith('TLS for'))?.default).toBe('verify-full');
    expect(s.said.join('\n')).toContain('TLS: the audit finds ssl-off-network; verify-full is proposed');
    expect(answers.tls).toEqual({ mode: 'verify-full' });
  });

  it('proposes off without such a finding, and an off answer writes no tls section', async () => {
    const s = script();
    const answers = await askNetwork(s.p, s.o, storySnapshot(), ['hba-trust-network']);
    expect(s.asked.find((q) => q.message.startsWith('TLS for'))?.default).toBe('off');
    expect(s.said.join('\n')).not.toContain('TLS: the audit finds');
    expect(answers).not.toHaveProperty('tls');
    expect(answers.network.trustedRanges).toEqual(['10.8.0.0/24']);
  });
});
