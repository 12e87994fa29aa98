/**
 * Progress of long waits, as plain lines: each says what is being waited for and the time it has
 * taken so far. Plain lines (never a line rewritten in place) read the same in a terminal, a pipe,
 * a log file and under `--json`, where the front ends send them to stderr.
 */

/** When the next progress line is due: every 10 s in the first minute, then every minute. */
export function nextTickMs(elapsedMs: number): number {
  return elapsedMs < 60_000 ? 10_000 : 60_000;
}

/** Seconds, as a progress line says them: "12 s", "3 min 5 s". */
export function elapsedText(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * Runs `work`, saying `label` when it starts and `label … N s` each time a tick is due until it
 * ends (see nextTickMs). The label names what is being waited for ("restore drill of agents").
 */
export async function ticking<T>(log: (line: string) => void, label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  log(label);
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(
      () => {
        log(`${label} … ${elapsedText(Date.now() - started)}`);
        arm();
      },
      nextTickMs(Date.now() - started),
    );
    timer.unref();
  };
  arm();
  try {
    return await work();
  } finally {
    clearTimeout(timer);
  }
}

/** A periodic line for a wait whose state changes as it goes: true when a tick is due now. */
export function tickDue(): (now?: number) => boolean {
  const started = Date.now();
  let next = started + nextTickMs(0);
  return (now = Date.now()) => {
    if (now < next) return false;
    next = now + nextTickMs(now - started);
    return true;
  };
}
