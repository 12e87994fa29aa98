import { chmodSync, lstatSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDrift, drift, observeFile, type Binding } from '../../../src/plan/binding.js';
import { restoreLink } from '../../../src/core/atomic.js';
import { tree } from '../../support/tree.js';

describe('plan binding', () => {
  it('holds while nothing changes, and names each drifted item', () => {
    const dir = tree({ 'pg_hba.conf': 'local all all trust\n', 'postgresql.conf': "listen_addresses = '*'\n" });
    const hba = join(dir, 'pg_hba.conf');
    const conf = join(dir, 'postgresql.conf');
    chmodSync(conf, 0o644);
    const bind = (): Binding => ({
      systemIdentifier: '7710983565750650239',
      dataDirectory: dir,
      port: 5432,
      files: [observeFile(hba), observeFile(conf), observeFile(join(dir, 'new.conf'))],
    });
    const planned = bind();
    expect(drift(planned, bind())).toEqual([]);

    writeFileSync(hba, 'local all all trust\nhost all all 0.0.0.0/0 trust\n');
    chmodSync(conf, 0o600);
    writeFileSync(join(dir, 'new.conf'), 'x\n');
    const now = { ...bind(), port: 5433, systemIdentifier: '1' };
    const d = drift(planned, now);
    expect(d.map((x) => x.item)).toEqual([
      'system_identifier (another cluster answers at this address)',
      'port',
      `${hba} content`,
      `${conf} mode`,
      `${join(dir, 'new.conf')} content`,
    ]);
    expect(d.find((x) => x.item === `${conf} mode`)).toMatchObject({ planned: '0644', now: '0600' });
    expect(describeDrift('plans/story', d)).toMatch(
      /^The plan plans\/story no longer matches the cluster \(5 items changed since it was made\):\n {2}- system_identifier/,
    );
  });

  it("records a symlink's target, names a link replaced by a file, and restoreLink puts it back", () => {
    const dir = realpathSync(tree({ 'real.env': 'U=postgres://a@h/x\n' }));
    const link = join(dir, 'app.env');
    symlinkSync('real.env', link);
    const planned = observeFile(link);
    expect(planned.link).toBe(join(dir, 'real.env'));
    expect(observeFile(join(dir, 'real.env')).link).toBeUndefined();
    rmSync(link);
    writeFileSync(link, 'U=postgres://a@h/x\n');
    chmodSync(link, planned.mode!);
    const bind = (f: typeof planned): Binding => ({
      systemIdentifier: '1',
      dataDirectory: dir,
      port: 5432,
      files: [f],
    });
    expect(drift(bind(planned), bind(observeFile(link)))).toEqual([
      { item: `${link} symlink`, planned: `a link to ${join(dir, 'real.env')}`, now: 'not a link' },
    ]);
    restoreLink(link, join(dir, 'real.env'));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(drift(bind(planned), bind(observeFile(link)))).toEqual([]);
  });
});
