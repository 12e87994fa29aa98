/**
 * Run as root, pgharden can open files the server cannot. An include the server's OS user may not
 * open is an error for the server (pg_hba.conf: even include_if_exists, which skips only a missing
 * file; postgresql.conf: include, while include_if_exists skips it), and pgharden must say the
 * same, not read it as root can.
 */
import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgharden } from '../support/cli.js';
import { testedInstalls, useCluster } from '../support/cluster.js';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.log('server-reader.test.ts skipped: not root (only root can read what the server cannot)');

describe.skipIf(!asRoot).each(testedInstalls())('includes the server cannot open, PostgreSQL $major', (install) => {
  // A directory only root may enter: the server (postgres) cannot open anything inside it.
  const closed = mkdtempSync(join(tmpdir(), 'pgharden-closed-'));
  chmodSync(closed, 0o700);
  const secret = join(closed, 'secret.conf');
  writeFileSync(secret, "work_mem = '8MB'\n");
  writeFileSync(join(closed, 'hba.conf'), 'host all all 127.0.0.2/32 trust\n');
  writeFileSync(join(closed, 'other.conf'), "work_mem = '9MB'\n");
  writeFileSync(join(closed, 'other_hba.conf'), 'host all all 127.0.0.3/32 trust\n');
  const cluster = useCluster(install);
  const dsn = () => `host=127.0.0.1 port=${cluster().port} user=postgres`;
  // Written after the start: a server does not start with a configuration file it cannot open.
  // The views re-read the files at each query.
  beforeAll(() => {
    appendFileSync(
      cluster().confFile,
      `include_if_exists '${secret}'\ninclude '${join(closed, 'other.conf')}'\nshared_buffers = '16MB'\n`,
    );
    if (install.major >= 16)
      appendFileSync(
        cluster().hbaFile,
        `include_if_exists ${join(closed, 'hba.conf')}\ninclude ${join(closed, 'other_hba.conf')}\n`,
      );
  });
  afterAll(() => rmSync(closed, { recursive: true, force: true }));

  it('inspect conf reports the include as pg_file_settings does', async () => {
    const theirs = await cluster().query(
      'SELECT sourcefile, sourceline, seqno, name, setting, applied, error FROM pg_file_settings ORDER BY seqno',
    );
    expect(theirs.some((r) => String(r.error).includes('could not open file'))).toBe(true);
    const r = pgharden(['inspect', 'conf', '--dsn', dsn(), '--json']);
    expect(JSON.parse(r.stdout)).toEqual(theirs);
  });

  it.runIf(install.major >= 16)('inspect hba reports the include as pg_hba_file_rules does', async () => {
    const theirs = await cluster().query(
      'SELECT file_name AS file, line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL ORDER BY rule_number',
    );
    // pg_hba.conf's include_if_exists skips only a missing file: both lines are errors.
    expect(theirs).toHaveLength(2);
    const r = pgharden(['inspect', 'hba', '--dsn', dsn(), '--json']);
    const ours = (JSON.parse(r.stdout) as { file: string; line_number: number; error: string | null }[]).filter(
      (x) => x.error !== null,
    );
    expect(ours.map((x) => ({ file: x.file, line_number: x.line_number, error: x.error }))).toEqual(theirs);
  });
});
