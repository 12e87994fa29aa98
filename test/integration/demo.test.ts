/**
 * `pgharden demo` as a new user runs it: exits 0; its narrated negative tests really failed on
 * the hardened cluster (the server's own refusals are printed) and passed again after the
 * rollback drill; no data moved; nothing is left behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, pgharden } from '../support/cli.js';

const root = process.getuid?.() === 0;
const hasPostgresUser = spawnSync('id', ['-u', 'postgres']).status === 0;

/** The text between two narrated stages. */
const between = (text: string, from: string, to: string) =>
  text.slice(text.indexOf(from), text.indexOf(to, text.indexOf(from)));

/** Pids of the processes whose command line names `dataDir` (a postmaster started with -D dataDir). */
const postmastersOf = (dataDir: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(dataDir);
      } catch {
        return false;
      }
    });

describe('pgharden demo', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'on %s once the scratch cluster is up: stops the postmaster, removes everything, exits %i',
    async (signal, code) => {
      const child = spawn(process.execPath, [CLI, 'demo'], { env: { ...process.env, NO_COLOR: '1' } });
      let out = '';
      const up = new Promise<{ dataDir: string; files: string }>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /data directory (\S+), .*; consumer files in (\S+)/.exec(out);
          if (m) resolve({ dataDir: m[1]!, files: m[2]! });
        });
      });
      const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('close', (c, s) => resolve({ code: c, signal: s })),
      );
      const { dataDir, files } = await up;
      expect(postmastersOf(dataDir).length, 'the postmaster runs before the signal').toBeGreaterThan(0);
      child.kill(signal);
      expect(await ended).toEqual({ code, signal: null });
      expect(postmastersOf(dataDir)).toEqual([]);
      expect(existsSync(dirname(dataDir))).toBe(false);
      expect(existsSync(files)).toBe(false);
    },
  );

  it('runs the whole story and removes everything', () => {
    const r = pgharden(['demo']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    const hole = between(out, 'The hole', 'pgharden audit');
    expect(hole).toContain('OPEN   superuser postgres from 127.10.0.7, no password: logged in (trust)');
    expect(hole).toContain(
      "OPEN   superuser postgres from 127.10.0.7 flips the agents' kill switch: flipped the kill switch",
    );
    expect(out).toMatch(/critical +hba-trust-network/);
    expect(out).toContain('+host    all             postgres        0.0.0.0/0               reject');

    const hardened = between(out, 'The negative tests on the hardened cluster', 'Rollback drill');
    expect(hardened).toContain(
      'CLOSED superuser postgres from 127.10.0.7, no password: pg_hba.conf rejects connection for host "127.10.0.7", user "postgres", database "workspace"',
    );
    expect(hardened).toContain(
      "CLOSED superuser postgres from 127.10.0.7 flips the agents' kill switch: pg_hba.conf rejects connection",
    );
    expect(hardened).toContain(
      'CLOSED agents_app from 127.10.0.7, no password: asked for a password (SASL SCRAM-SHA-256)',
    );
    expect(hardened).toContain(
      'CLOSED agents_app with its password flips the kill switch: permission denied for table agents_kill_switch',
    );
    expect(hardened).toContain(
      'OPEN   agents_app with its password reads its tables (must still work): read 250 tasks',
    );

    const drill = between(out, 'Rollback drill', 'pgharden apply again');
    expect(drill).toContain('OPEN   superuser postgres from 127.10.0.7, no password: logged in (trust)');
    expect(drill).toMatch(/5 files restored, 4 steps undone, 0 kept/);

    const again = between(out, 'pgharden apply again', 'Removed the scratch cluster');
    expect(again).toMatch(/applied: \d+ steps, \d+ checks passed, 0 failed/);
    expect(again).toContain('CLOSED superuser postgres from 127.10.0.7, no password: pg_hba.conf rejects connection');
    expect(out).toContain('rows at each stage: agents=12 tasks=250 agents_kill_switch=1 every time: no data moved');

    for (const dir of [/data directory (\S+),/.exec(out)?.[1], /consumer files in (\S+)/.exec(out)?.[1]]) {
      expect(dir).toBeDefined();
      expect(existsSync(dir!)).toBe(false);
    }
    expect(out).toContain('Removed the scratch cluster, the consumer files and the plan');
  });

  // As the server's own OS user pgharden's admin path is a direct socket connection (as root it
  // is a child process with that uid): both ways must carry the whole story.
  it.skipIf(!root || !hasPostgresUser)('runs as a normal user too', () => {
    const r = spawnSync(
      'su',
      ['postgres', '-s', '/bin/sh', '-c', `cd /tmp && NO_COLOR=1 '${process.execPath}' '${CLI}' demo`],
      // A hang detector, as everywhere (vitest.config.ts): a loaded machine is slower, never red.
      { encoding: 'utf8', timeout: 600_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'rows at each stage: agents=12 tasks=250 agents_kill_switch=1 every time: no data moved',
    );
  });
});
