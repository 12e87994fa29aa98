import { afterEach, describe, expect, it, vi } from 'vitest';
import { elapsedText, nextTickMs, tickDue, ticking } from '../../../src/core/progress.js';

describe('progress lines of long waits', () => {
  afterEach(() => void vi.useRealTimers());

  it('ticks every 10 s in the first minute, then every minute', () => {
    expect(nextTickMs(0)).toBe(10_000);
    expect(nextTickMs(59_999)).toBe(10_000);
    expect(nextTickMs(60_000)).toBe(60_000);
  });

  it('says seconds, then minutes and seconds', () => {
    expect(elapsedText(12_400)).toBe('12 s');
    expect(elapsedText(119_999)).toBe('119 s');
    expect(elapsedText(185_000)).toBe('3 min 5 s');
  });

  it('says what it waits for at once, then the time taken at each tick, and stops with the work', async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    let finish: (v: string) => void = () => undefined;
    const done = ticking(
      (l) => lines.push(l),
      'restore drill of agents',
      () => new Promise<string>((r) => (finish = r)),
    );
    expect(lines).toEqual(['restore drill of agents']);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(lines).toEqual([
      'restore drill of agents',
      'restore drill of agents … 10 s',
      'restore drill of agents … 20 s',
    ]);
    finish('ok');
    await expect(done).resolves.toBe('ok');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines).toHaveLength(3);
  });

  it('a tick is due once per interval, however often it is asked', () => {
    vi.useFakeTimers();
    const due = tickDue();
    const t0 = Date.now();
    expect(due(t0 + 9_999)).toBe(false);
    expect(due(t0 + 10_000)).toBe(true);
    expect(due(t0 + 10_001)).toBe(false);
    expect(due(t0 + 20_000)).toBe(true);
  });
});
