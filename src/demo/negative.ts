/**
 * The demo's narrated negative tests, each asked of the real server: the superuser from a VPN
 * device without a password, the app role without a password, the app role flipping the kill
 * switch with its password, and the app role reading its tables. The demo runs them on the
 * insecure cluster, the hardened one, after the rollback drill and after applying again; the
 * answers are printed as the server gave them.
 */
import { clientFrom } from '../fixtures.js';
import { probe, type PgClient } from '../index.js';

export interface NegativeTest {
  name: string;
  /** `open`: the old path works (the hole); `closed`: the server refused. */
  outcome: 'open' | 'closed';
  /** The server's answer, in its words. */
  answer: string;
}

export interface DemoTarget {
  port: number;
  device: string;
  appRole: string;
  /** The app role's password, when it exists. */
  appPassword?: string;
}

type Login = { user: string; password?: string };

/** Runs `fn` in a session from the device; the answer is its result, or the server's error. */
async function attempt(
  t: DemoTarget,
  who: Login,
  fn: (c: PgClient) => Promise<string>,
): Promise<{ ok: boolean; answer: string }> {
  const c = await clientFrom(t.device, { host: '127.0.0.1', port: t.port, database: 'workspace', ...who });
  try {
    await c.connect();
    return { ok: true, answer: await fn(c) };
  } catch (err) {
    return { ok: false, answer: (err as Error).message };
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Flips the kill switch inside a transaction that is rolled back: the attempt is real, the change is not kept. */
async function flipKillSwitch(c: PgClient): Promise<string> {
  await c.query('BEGIN');
  await c.query("UPDATE agents_kill_switch SET engaged = true, changed_by = 'a device on the VPN'");
  await c.query('ROLLBACK');
  return 'flipped the kill switch (the demo rolled it back)';
}

/** What a startup packet without a password gets, as a test result. */
async function passwordless(t: DemoTarget, user: string): Promise<NegativeTest> {
  const r = await probe({ host: '127.0.0.1', port: t.port, localAddress: t.device, user, database: 'workspace' });
  const answer =
    r.kind === 'ok'
      ? 'logged in (trust)'
      : r.kind === 'error'
        ? r.message
        : r.kind === 'sasl'
          ? `asked for a password (SASL ${r.mechanisms.join(', ')})`
          : `asked for a ${r.kind} password`;
  return {
    name: `${user === 'postgres' ? 'superuser ' : ''}${user} from ${t.device}, no password`,
    outcome: r.kind === 'ok' ? 'open' : 'closed',
    answer,
  };
}

const result = (name: string, r: { ok: boolean; answer: string }): NegativeTest => ({
  name,
  outcome: r.ok ? 'open' : 'closed',
  answer: r.answer,
});

export async function negativeTests(t: DemoTarget): Promise<NegativeTest[]> {
  const out = [
    await passwordless(t, 'postgres'),
    result(
      `superuser postgres from ${t.device} flips the agents' kill switch`,
      await attempt(t, { user: 'postgres' }, flipKillSwitch),
    ),
  ];
  if (!t.appPassword) return out;
  const app = { user: t.appRole, password: t.appPassword };
  out.push(await passwordless(t, t.appRole));
  out.push(result(`${t.appRole} with its password flips the kill switch`, await attempt(t, app, flipKillSwitch)));
  out.push(
    result(
      `${t.appRole} with its password reads its tables (must still work)`,
      await attempt(t, app, async (c) => {
        const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks');
        return `read ${rows[0]!.n} tasks`;
      }),
    ),
  );
  return out;
}
