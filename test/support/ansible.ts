/**
 * ansible-playbook runs of the pgharden.postgresql collection against story clusters on this
 * machine: each cluster is an inventory host (`ansible_connection: local`) with its own DSN,
 * spec and plan directory, and the CLI is this repository's built dist/bin/pgharden.js.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { VPN_RANGE } from '../../src/scratch/story.js';
import { CLI, FAULT_CLI } from './cli.js';
import type { StoryPlanSetup } from './story-plan.js';

export const ANSIBLE_DIR = fileURLToPath(new URL('../../ansible/', import.meta.url));
export const PLAYBOOK = join(ANSIBLE_DIR, 'playbooks', 'harden.yml');

/** ansible-playbook runs here (ansible-core is installed). */
export const ANSIBLE_PRESENT = spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status === 0;

/** The story's spec as the harden module's `spec` dict: absolute consumer paths, optional extra consumer fields. */
export function storySpec(s: StoryPlanSetup, agents: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    network: { trustedRanges: [VPN_RANGE] },
    roles: [
      {
        name: 'agents_app',
        template: 'app-readwrite',
        databases: ['workspace'],
        readOnlyTables: ['agents_kill_switch'],
      },
      { name: 'reporting', template: 'readonly', databases: ['workspace'] },
    ],
    consumers: [
      {
        name: 'agents',
        file: s.consumerFiles[0],
        key: 'DATABASE_URL',
        role: 'agents_app',
        application: 'agents',
        ...agents,
      },
      { name: 'weekly-report', file: s.consumerFiles[1], role: 'reporting', application: 'weekly' },
    ],
  };
}

/**
 * The password in every host's DSN. The socket admits the server's OS user by trust or peer, so the
 * server never asks for it; it is there to be looked for where it must never be (argv, output, logs).
 */
export const DSN_PASSWORD = `dsn-pw-${randomBytes(12).toString('hex')}`;

/** One inventory host: the cluster's socket DSN (superusers are refused over TCP once hardened), spec and plan directory; no verified backup. */
export function hostVars(s: StoryPlanSetup, plan: string, spec = storySpec(s)): Record<string, unknown> {
  return {
    ansible_connection: 'local',
    ansible_python_interpreter: '/usr/bin/python3',
    pgharden_dsn: `postgres://postgres:${DSN_PASSWORD}@/postgres?host=${encodeURIComponent(s.cluster.socketDir)}&port=${s.cluster.port}`,
    pgharden_spec: spec,
    pgharden_plan_dir: join(s.dir, 'plans', plan),
    pgharden_skip_backup: true,
  };
}

/** Writes an inventory (YAML is a superset of JSON) of these hosts in group `postgresql`; returns its path. */
export function writeInventory(dir: string, name: string, hosts: Record<string, Record<string, unknown>>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ postgresql: { hosts } }, null, 2));
  return path;
}

/** Where Ansible finds this collection, keeps its temporary files and (optionally) logs. */
function ansibleEnv(opts: { logFile?: string; tmp: string; env?: Record<string, string> }): Record<string, string> {
  return {
    ANSIBLE_COLLECTIONS_PATH: join(ANSIBLE_DIR, 'collections'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCAL_TEMP: join(opts.tmp, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: join(opts.tmp, 'ansible-remote'),
    ...(opts.logFile ? { ANSIBLE_LOG_PATH: opts.logFile } : {}),
    ...opts.env,
  };
}

const BIN = JSON.stringify({ pgharden_bin: [process.execPath, CLI] });
/** With PGHARDEN_FAULT in the environment, the module runs the test entry point (the released CLI ignores it). */
const binFor = (env?: Record<string, string>) =>
  env?.PGHARDEN_FAULT === undefined ? BIN : JSON.stringify({ pgharden_bin: [process.execPath, FAULT_CLI] });

/** `ansible-playbook harden.yml -i INVENTORY ARGS`, with this collection and the built CLI; never throws. */
export async function runPlaybook(
  inventory: string,
  args: string[],
  opts: { logFile?: string; tmp: string },
): Promise<{ code: number; output: string }> {
  const r = await execa('ansible-playbook', ['-i', inventory, PLAYBOOK, '-e', BIN, ...args], {
    reject: false,
    all: true,
    cwd: ANSIBLE_DIR,
    env: ansibleEnv(opts),
  });
  return { code: r.exitCode ?? -1, output: r.all ?? '' };
}

/** One module on one host, ad hoc (`ansible HOST -m MODULE -a ARGS [FLAGS]`, e.g. --check), its arguments templated from the host's variables. */
export async function runModule(
  inventory: string,
  host: string,
  module: string,
  args: string,
  opts: { tmp: string; env?: Record<string, string>; flags?: string[] },
): Promise<{ code: number; output: string }> {
  const argv = [host, '-i', inventory, '-m', module, '-a', args, '-e', binFor(opts.env), ...(opts.flags ?? [])];
  const r = await execa('ansible', argv, {
    reject: false,
    all: true,
    cwd: ANSIBLE_DIR,
    env: ansibleEnv(opts),
  });
  return { code: r.exitCode ?? -1, output: r.all ?? '' };
}

/** `ansible-doc --json` of these modules: { NAME: { doc: { options: { OPTION: { description, type } } } } }. */
export async function ansibleDoc(
  modules: string[],
): Promise<Record<string, { doc: { options: Record<string, { description: string[]; type: string }> } }>> {
  const r = await execa('ansible-doc', ['--json', ...modules], {
    env: { ANSIBLE_COLLECTIONS_PATH: join(ANSIBLE_DIR, 'collections') },
  });
  return JSON.parse(r.stdout);
}

/** The PLAY RECAP line's counters for one host, e.g. { ok: 6, changed: 1, failed: 0, rescued: 0 }. */
export function recap(output: string, host: string): Record<string, number> | undefined {
  const line = output.split('\n').find((l) => new RegExp(`^${host}\\s+:\\s+ok=`).test(l));
  if (!line) return undefined;
  return Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

/** What a sampler of every process's command line saw. */
export interface CmdlineSample {
  /** Rounds over /proc. */
  rounds: number;
  /** Command lines of pgharden CLI processes seen (each distinct one once). */
  pgharden: string[];
  /** Command lines that held the secret (each distinct one once). */
  leaks: string[];
}

/**
 * Reads /proc/PID/cmdline of every process, over and over (as any user of the host can), until
 * stopped; records pgharden's own command lines and every one that holds `secret`.
 */
export function sampleCmdlines(secret: string): { stop(): Promise<CmdlineSample> } {
  const pgharden = new Set<string>();
  const leaks = new Set<string>();
  let rounds = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const pid of readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        let line: string;
        try {
          line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        } catch {
          continue; // ended meanwhile
        }
        if (line.includes(secret)) leaks.add(line);
        if (line.includes(CLI)) pgharden.add(line);
      }
      rounds += 1;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { rounds, pgharden: [...pgharden], leaks: [...leaks] };
    },
  };
}
