/**
 * The TLS plan's file actions: a file the plan made (certificate, key, CA) copied into place with
 * its mode and owner, and a consumer file's libpq TLS parameters set in place (mode and owner kept).
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { withConsumerParams } from '../consumers/tls-settings.js';
import type { Action } from '../plan/plan-types.js';

export function runTlsFileAction(a: Extract<Action, { do: 'copy-file' | 'consumer-params' }>, planDir: string): void {
  if (a.do === 'copy-file') {
    const from = isAbsolute(a.from) ? a.from : join(planDir, a.from);
    writeFileAtomic(a.path, readFileSync(from), { mode: a.mode, uid: a.uid, gid: a.gid });
    return;
  }
  const st = statSync(a.path);
  const text = readFileSync(a.path, 'utf8');
  const moved = withConsumerParams(a.path, text, { ...(a.key ? { key: a.key } : {}), format: a.format }, a.params);
  if (moved !== text) writeFileAtomic(a.path, moved, { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
}
