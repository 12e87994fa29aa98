/**
 * The demo's narrated negative tests, each asked of the real server: the superuser from a VPN
 * device without a password, the app role without a password, the app role flipping the kill
 * switch with its password, and the app role reading its tables. The demo runs them on the
 * insecure cluster, the hardened one, after the rollback drill and after applying again; the
 * answers are printed as the server gave them.
 */
import { clientFrom } from '../cluster/from-address.js';
import { probe } from '../hba/probe.js';

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

async function attempt(fn: () => Promise<string>): Promise<{ ok: boolean; answer: string }> {
  try {
    return { ok: true, answer: await fn() };
  } catch (err) {
    return { ok: false, answer: (err as Error).message };
  }
}

export async function negativeTests(t: DemoTarget): Promise<NegativeTest[]> {
  const out: NegativeTest[] = [];
  const su = await probe({ host: '127.0.0.1', port: t.port, localAddress: t.device, user: 'postgres', database: 'workspace' });
  out.push({
    name: `superuser postgres from ${t.device}, no password`,
    outcome: su.kind === 'ok' ? 'open' : 'closed',
    answer: su.kind === 'ok' ? 'logged in (trust)' : su.kind === 'error' ? su.message : `asked for a ${su.kind} password`,
  });
  const flip = await attempt(async () => {
    const c = clientFrom(t.device, { host: '127.0.0.1', port: t.port, user: 'postgres', database: 'workspace' });
    await c.connect();
    try {
      await c.query('BEGIN');
      await c.query("UPDATE agents_kill_switch SET engaged = true, changed_by = 'a device on the VPN'");
      await c.query('ROLLBACK');
      return 'flipped the kill switch (the demo rolled it back)';
    } finally {
      await c.end();
    }
  });
  out.push({ name: `superuser postgres from ${t.device} flips the agents' kill switch`, outcome: flip.ok ? 'open' : 'closed', answer: flip.answer });
  if (!t.appPassword) return out;
  const app = await probe({ host: '127.0.0.1', port: t.port, localAddress: t.device, user: t.appRole, database: 'workspace' });
  out.push({
    name: `${t.appRole} from ${t.device}, no password`,
    outcome: app.kind === 'ok' ? 'open' : 'closed',
    answer: app.kind === 'ok' ? 'logged in (trust)' : app.kind === 'error' ? app.message : app.kind === 'sasl' ? `asked for a password (SASL ${app.mechanisms.join(', ')})` : `asked for a ${app.kind} password`,
  });
  {
    const config = { host: '127.0.0.1', port: t.port, user: t.appRole, database: 'workspace', password: t.appPassword };
    const appFlip = await attempt(async () => {
      const c = clientFrom(t.device, config);
      await c.connect();
      try {
        await c.query('BEGIN');
        await c.query("UPDATE agents_kill_switch SET engaged = true, changed_by = 'pgharden demo'");
        await c.query('ROLLBACK');
        return 'the kill switch could be flipped';
      } finally {
        await c.end();
      }
    });
    out.push({ name: `${t.appRole} with its password flips the kill switch`, outcome: appFlip.ok ? 'open' : 'closed', answer: appFlip.answer });
    const read = await attempt(async () => {
      const c = clientFrom(t.device, config);
      await c.connect();
      try {
        const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks');
        return `read ${rows[0]!.n} tasks`;
      } finally {
        await c.end();
      }
    });
    out.push({ name: `${t.appRole} with its password reads its tables (must still work)`, outcome: read.ok ? 'open' : 'closed', answer: read.answer });
  }
  return out;
}
