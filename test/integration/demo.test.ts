/** `pgharden demo` as a new user runs it: exits 0, shows the hole and the audit, leaves nothing behind. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pgharden } from '../helpers/cli.js';

describe('pgharden demo', () => {
  it('proves the hole on a scratch cluster, audits it and removes it', () => {
    const r = pgharden(['demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("PostgreSQL's own pg_hba_file_rules agrees line for line: yes");
    expect(r.stdout).toMatch(/connected from 127\.10\.0\.7 as superuser=true; kill switch engaged=true/);
    expect(r.stdout).toMatch(/critical +hba-trust-network/);
    expect(r.stdout).toMatch(/critical +superuser-network/);
    expect(r.stdout).toContain('127.10.0.0/16=trust');
    const dataDir = /data directory (\S+),/.exec(r.stdout)?.[1];
    expect(dataDir).toBeDefined();
    expect(existsSync(dataDir!)).toBe(false);
    expect(r.stdout).toContain('Removed the scratch cluster and everything it created');
  });
});
