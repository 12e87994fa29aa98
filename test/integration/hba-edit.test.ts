/**
 * The hardened pg_hba.conf on the story's cluster: the server accepts every line, and after a
 * reload the old paths are closed — checked by startup-packet probes, before any password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStoryCluster, VPN_DEVICE } from '../../src/scratch/story.js';
import { contextFromServer } from '../../src/cluster/build-options.js';
import { loadHba } from '../../src/conf/load-hba.js';
import { probe, type ProbeResult } from '../../src/hba/probe.js';
import { hardenHba } from '../../src/plan/hba-edit.js';
import { testedInstalls, type Cluster } from '../support/cluster.js';

const answer = (r: ProbeResult) => (r.kind === 'error' ? r.class : r.kind);

describe.each(testedInstalls())('hardened story pg_hba.conf on PostgreSQL $major', (install) => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startStoryCluster(install);
    await c.query('CREATE ROLE agents_app LOGIN');
  });
  afterAll(async () => c?.stop());

  it('is valid for the server and closes the passwordless and superuser paths', async () => {
    const probeFrom = (user: string, from: string) =>
      probe({ host: '127.0.0.1', port: c.port, localAddress: from, user, database: 'workspace' });
    expect(answer(await probeFrom('postgres', VPN_DEVICE))).toBe('ok'); // the hole, before

    const admin = await c.connect();
    const { context } = await contextFromServer(admin);
    await admin.end();
    const loaded = loadHba(c.hbaFile, { context });
    const { text } = hardenHba(loaded.files.get(c.hbaFile)!.lines, {
      superusers: ['postgres'],
      trustedRanges: ['127.10.0.0/24'],
      adminRole: 'postgres',
    });
    c.writeFile(c.hbaFile, text);
    expect(await c.query('SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL')).toEqual([]);

    // Reload through the open admin session (new TCP logins as postgres now need a password).
    const [before] = await c.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t');
    await c.query('SELECT pg_reload_conf()');
    for (let i = 0; i < 5000; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const [now] = await c.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t');
      if (now!.t !== before!.t) break;
    }

    expect(answer(await probeFrom('postgres', VPN_DEVICE))).toBe('rejected');
    expect(answer(await probeFrom('agents_app', VPN_DEVICE))).toBe('sasl');
    expect(answer(await probeFrom('agents_app', '127.10.1.7'))).toBe('no-entry');
    expect(answer(await probeFrom('postgres', '127.0.0.1'))).toBe('rejected');
  });
});
