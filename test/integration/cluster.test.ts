import { describe, expect, it } from 'vitest';
import { testedInstalls, useCluster } from '../support/cluster.js';

describe.each(testedInstalls())('scratch cluster on PostgreSQL $major ($source)', (install) => {
  describe('ssl off', () => {
    const cluster = useCluster(install);
    it('runs the expected major, on loopback only, as a non-root user', async () => {
      const [row] = await cluster().query<{ v: string; l: string; ssl: string }>(
        "SELECT current_setting('server_version_num') AS v, current_setting('listen_addresses') AS l, current_setting('ssl') AS ssl",
      );
      expect(Math.floor(Number(row?.v) / 10000)).toBe(install.major);
      expect(row?.l).toBe('127.0.0.1');
      expect(row?.ssl).toBe('off');
      expect(cluster().uid).not.toBe(0);
    });
  });
  describe('ssl on', () => {
    const cluster = useCluster(install, { ssl: true });
    it('serves TLS with the self-signed certificate', async () => {
      const [row] = await cluster().query<{ ssl: string }>("SELECT current_setting('ssl') AS ssl");
      expect(row?.ssl).toBe('on');
      const c = await cluster().connect({ ssl: { rejectUnauthorized: false } } as never);
      const [s] = (await c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows;
      await c.end();
      expect(s?.ssl).toBe(true);
    });
  });
});
