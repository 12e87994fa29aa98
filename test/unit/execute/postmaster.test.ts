/**
 * The postmaster is signalled only once proven: a pid in postmaster.pid that belongs to another
 * process (here a `sleep`, as after a crash and pid reuse) is never sent SIGHUP, neither by
 * pgharden nor by rollback.sh, and both say what to run instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotPostmasterError, provePostmaster, signalReload } from '../../../src/execute/postmaster.js';
import { reloadAdvice, rollbackScript } from '../../../src/plan/store.js';
import type { Plan } from '../../../src/plan/plan-types.js';

let root: string;
let dataDir: string;
let sleeper: ChildProcess;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pgharden-postmaster-'));
  dataDir = join(root, 'data');
  mkdirSync(dataDir);
  sleeper = spawn('sleep', ['60'], { cwd: dataDir, stdio: 'ignore' });
  // What a crashed server leaves, once its pid went to another process: pid, data directory, start time.
  writeFileSync(
    join(dataDir, 'postmaster.pid'),
    `${sleeper.pid}\n${dataDir}\n${Math.floor(Date.now() / 1000)}\n5432\n`,
  );
});
afterEach(() => {
  sleeper.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** Running, not a zombie (a child killed by a signal stays one until node reaps it). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('signalling the postmaster', () => {
  it('refuses a pid that runs something else, naming it and what to run instead', () => {
    expect(provePostmaster(dataDir)).toEqual({
      pid: sleeper.pid,
      refusal: `pid ${sleeper.pid} runs sleep, not postgres`,
    });
    expect(() => signalReload(dataDir)).toThrow(NotPostmasterError);
    expect(() => signalReload(dataDir)).toThrow(`Reload the server with: pg_ctl reload -D ${dataDir}`);
    expect(alive(sleeper.pid!)).toBe(true);
  });

  it("names the Debian command for a cluster in Debian's layout", () => {
    expect(reloadAdvice('/var/lib/postgresql/15/main')).toBe(
      "pg_ctlcluster 15 main reload, or pg_ctl reload -D /var/lib/postgresql/15/main (as the server's OS user)",
    );
    expect(reloadAdvice('/srv/pg')).toBe("pg_ctl reload -D /srv/pg (as the server's OS user)");
  });

  it.each([
    ['no file', () => rmSync(join(dataDir, 'postmaster.pid')), /postmaster\.pid cannot be read \(ENOENT\)/],
    [
      'no such process',
      () => writeFileSync(join(dataDir, 'postmaster.pid'), '999999999\nx\n1\n'),
      /no process has pid 999999999/,
    ],
    [
      'garbage',
      () => writeFileSync(join(dataDir, 'postmaster.pid'), 'hello\n'),
      /does not hold a pid and a start time/,
    ],
  ])('refuses %s', (_, set, why) => {
    set();
    expect(provePostmaster(dataDir).refusal).toMatch(why);
  });

  it('rollback.sh restores, then does not signal that pid, and says what to run', () => {
    const marker = join(root, 'restored');
    const plan = {
      name: 'p',
      id: 'x'.repeat(64),
      binding: { dataDirectory: dataDir },
      rollback: { command: '', shell: `touch '${marker}'` },
    } as unknown as Plan;
    const script = join(root, 'rollback.sh');
    writeFileSync(script, rollbackScript(plan));
    const r = spawnSync('sh', [script], { encoding: 'utf8' });
    expect(r.stderr).toContain(`was not signalled: pid ${sleeper.pid} runs sleep, not postgres`);
    expect(r.stderr).toContain(`Reload the server with: pg_ctl reload -D ${dataDir}`);
    expect(r.status).toBe(1);
    expect(spawnSync('test', ['-e', marker]).status).toBe(0);
    expect(alive(sleeper.pid!)).toBe(true);
  });
});
