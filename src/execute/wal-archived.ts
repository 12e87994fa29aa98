/**
 * The proof that WAL archiving works end to end: a write, a WAL switch, and the segment that the
 * switch closed found in the pgBackRest repository (archive/STANZA/ID/FIRST-16-HEX/SEGMENT-SHA1…),
 * not just reported by pg_stat_archiver. The repository is read as files, needing no pgBackRest.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Check } from '../plan/plan-types.js';
import type { AdminSession } from './admin.js';

type WalArchived = Extract<Check, { check: 'wal-archived' }>;

const list = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** Where the repository holds a segment, or null. */
export function findSegment(repo: string, stanza: string, segment: string): string | null {
  const root = join(repo, 'archive', stanza);
  for (const id of list(root)) {
    const dir = join(root, id, segment.slice(0, 16));
    const hit = list(dir).find((f) => f.startsWith(`${segment}-`));
    if (hit) return join(dir, hit);
  }
  return null;
}

/** `archived` when the closed segment reaches the repository within the check's time; else what was seen. */
export async function walArchived(ch: WalArchived, admin: AdminSession): Promise<string> {
  // txid_current() gives the transaction an xid, so its commit writes a WAL record: the switch then has a segment to close.
  await admin.query('SELECT txid_current()');
  // pg_walfile_name() of the switch's end names the segment the switch completed.
  const [r] = await admin.query<{ w: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS w');
  const segment = r!.w;
  const deadline = Date.now() + ch.timeoutMs;
  for (;;) {
    if (findSegment(ch.repo, ch.stanza, segment)) return 'archived';
    if (Date.now() > deadline) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const [a] = await admin.query<{ last: string | null; failed: string | null; n: string }>(
    'SELECT last_archived_wal AS last, last_failed_wal AS failed, failed_count::text AS n FROM pg_stat_archiver',
  );
  return `segment ${segment} not in ${ch.repo} after ${ch.timeoutMs / 1000} s (pg_stat_archiver: last archived ${a?.last ?? 'none'}, ${a?.n ?? '?'} failures, last failed ${a?.failed ?? 'none'}; see the server log)`;
}
