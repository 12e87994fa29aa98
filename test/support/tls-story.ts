/**
 * The story after the auth flip, ready for a TLS plan: four consumers of agents_app and reporting
 * (a URI in .env and in YAML, a pg_service.conf section, a keyword/value string in JSON) and a
 * spec with `tls: verify-full`; and the consumer loops that reconnect every 150 ms through psql
 * with what their file holds at that instant (libpq enforces sslmode, sslrootcert, channel_binding).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseSite } from '../../src/consumers/edit.js';
import { findPsql } from '../../src/cluster/client-tools.js';
import type { PgInstall } from './cluster.js';
import { pgharden } from './cli.js';
import { makeStoryPlan, storyWithConsumers, type StoryPlanSetup } from './story-plan.js';

export interface TlsStory extends StoryPlanSetup {
  serviceFile: string;
  jsonFile: string;
  /** agents_app's password (the flip's), to show it never leaks. */
  password: string;
}

/** The superuser is local-only since the flip: pgharden reaches the server over its socket. */
export const dsnOf = (s: StoryPlanSetup) =>
  `postgres://postgres@/postgres?host=${s.cluster.socketDir}&port=${s.cluster.port}`;

/** The story, hardened by its plan, with two more consumers and the spec's tls section. */
export async function tlsStory(install: PgInstall): Promise<TlsStory> {
  const s = await storyWithConsumers(install);
  const hardening = makeStoryPlan(s, 'harden');
  const r = pgharden(['apply', hardening, '--yes']);
  if (r.code !== 0) throw new Error(`the auth flip failed: ${r.stderr}`);
  // Two more consumers of agents_app for the TLS plan: a pg_service.conf section and a keyword/value string in JSON.
  const url = new URL(chooseSite(s.consumerFiles[0]!, readFileSync(s.consumerFiles[0]!, 'utf8'), 'DATABASE_URL').text);
  const password = decodeURIComponent(url.password);
  const serviceFile = join(s.dir, 'pg_service.conf');
  const jsonFile = join(s.dir, 'worker.json');
  writeFileSync(
    serviceFile,
    `# agents' batch jobs\n[agents-batch]\nhost=127.0.0.1\nport=${s.cluster.port}\ndbname=workspace\nuser=agents_app\npassword=${password}\n`,
    { mode: 0o600 },
  );
  writeFileSync(
    jsonFile,
    `{\n  "name": "worker",\n  "dsn": "host=127.0.0.1 port=${s.cluster.port} dbname=workspace user=agents_app password=${password}"\n}\n`,
    { mode: 0o600 },
  );
  appendFileSync(
    s.spec,
    [
      '  - { name: batch, file: pg_service.conf, key: agents-batch, role: agents_app }',
      '  - { name: worker, file: worker.json, key: dsn, role: agents_app }',
      'tls: { mode: verify-full, minProtocol: TLSv1.2, certificate: generate }',
      '',
    ].join('\n'),
  );
  return { ...s, serviceFile, jsonFile, password };
}

export interface Loop {
  attempts: number;
  failures: string[];
  /** pg_stat_ssl.ssl of each session, in order. */
  ssl: string[];
  stop(): Promise<void>;
}

/** libpq's psql, not Debian's pg_wrapper, which fails while another test makes or drops a cluster. */
const PSQL = findPsql() ?? 'psql';

/** psql with `dsn`; resolves with its exit code, stdout and stderr. */
export function psql(
  dsn: string,
  sql: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(PSQL, ['-X', '-w', '-A', '-t', '-d', dsn, '-c', sql], {
      env: { PATH: process.env.PATH, PGCONNECT_TIMEOUT: '10', HOME: '/nonexistent', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

/** Reconnects every 150 ms with the connection string the file holds right now. */
export function consumerLoop(file: string, key: string | undefined): Loop {
  const loop: Loop = { attempts: 0, failures: [], ssl: [], stop: async () => undefined };
  let running = true;
  const done = (async () => {
    while (running) {
      const site = chooseSite(file, readFileSync(file, 'utf8'), key);
      // A service is read from its file by libpq at each connection, as a service-file consumer would.
      const service = site.kind === 'service';
      const dsn = service ? `service=${site.key}` : site.text;
      loop.attempts += 1;
      const r = await psql(
        dsn,
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        service ? { PGSERVICEFILE: file } : {},
      );
      if (r.code === 0) loop.ssl.push(r.out.trim());
      else loop.failures.push(`${dsn.replace(/:[^:@/]*@/, ':<pw>@')}: ${r.err.trim()}`);
      await new Promise((res) => setTimeout(res, 150));
    }
  })();
  loop.stop = async () => {
    running = false;
    await done;
  };
  return loop;
}

/** The four consumers' loops. */
export function storyLoops(s: TlsStory): Loop[] {
  return [
    consumerLoop(s.consumerFiles[0]!, 'DATABASE_URL'),
    consumerLoop(s.consumerFiles[1]!, undefined),
    consumerLoop(s.serviceFile, 'agents-batch'),
    consumerLoop(s.jsonFile, 'dsn'),
  ];
}
