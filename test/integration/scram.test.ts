/** Client-side SCRAM verifiers against the server: equal to the server's own, and they log in. */
import { describe, expect, it } from 'vitest';
import { parseVerifier, scramVerifier } from '../../src/plan/scram.js';
import { testedInstalls, useCluster } from '../support/cluster.js';

describe.each(testedInstalls())('SCRAM verifiers on PostgreSQL $major', (install) => {
  const cluster = useCluster(install);

  it.each(['plain-Password_1', 'pässwörd with spaces', 'Ⅸ\u00A0roman'])(
    "match the server's for %j",
    async (password) => {
      const c = cluster();
      // The server computes its own verifier (random salt); we recompute with that salt and count.
      await c.query("SET password_encryption = 'scram-sha-256'");
      await c.query(
        `DROP ROLE IF EXISTS scram_ref; CREATE ROLE scram_ref PASSWORD ${(await c.query<{ q: string }>('SELECT quote_literal($1) AS q', [password]))[0]!.q}`,
      );
      const [row] = await c.query<{ v: string }>("SELECT rolpassword AS v FROM pg_authid WHERE rolname = 'scram_ref'");
      const { salt, iterations } = parseVerifier(row!.v)!;
      expect(scramVerifier(password, { salt, iterations })).toBe(row!.v);
    },
  );

  it('log in over a scram-sha-256 rule, and the wrong password does not', async () => {
    const c = cluster();
    const password = 'generated-in-test-only';
    await c.query(`CREATE ROLE scram_login LOGIN PASSWORD '${scramVerifier(password)}'`);
    const original = (await c.query<{ t: string }>("SELECT pg_read_file(current_setting('hba_file')) AS t"))[0]!.t;
    c.writeFile(c.hbaFile, `host all scram_login 127.0.0.1/32 scram-sha-256\n${original}`);
    await c.reload();
    try {
      const ok = await c.connect({ user: 'scram_login', password });
      const [me] = (await ok.query<{ u: string }>('SELECT current_user AS u')).rows;
      await ok.end();
      expect(me?.u).toBe('scram_login');
      await expect(c.connect({ user: 'scram_login', password: 'wrong' })).rejects.toThrow(
        /password authentication failed/,
      );
    } finally {
      c.writeFile(c.hbaFile, original);
      await c.reload();
    }
  });
});
