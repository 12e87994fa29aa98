/**
 * The release artifact: `npm run package`'s script builds the single executable and the .deb,
 * apt-get installs the .deb, and /usr/bin/pgharden runs with no Node.js on the machine: each
 * command runs in a mount namespace where /usr/bin/node is /dev/null, PATH holds only system
 * directories, and no node_modules is reachable (the working directory is a fresh temp dir).
 * It reads a pg_hba.conf, audits the story's insecure cluster and plans its hardening (the role
 * templates and the WebAssembly parser come from the executable's assets), with the same
 * findings the built CLI gives. The package is removed afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStoryCluster, VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls, type Cluster } from '../support/cluster.js';
import { ANSIBLE_DIR, ANSIBLE_PRESENT, PLAYBOOK } from '../support/ansible.js';
import { pgharden } from '../support/cli.js';
import { createDebianCluster, debianUnavailable } from '../support/debian.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const has = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const TOOLS = ['dpkg-deb', 'apt-get', 'unshare'];
const missing = TOOLS.filter((t) => !has(t));
if (missing.length)
  console.log(`package.test: skipped, ${missing.join(', ')} not found (a Debian host as root is needed)`);

/** Runs a command where no Node.js exists: /usr/bin/node is /dev/null, PATH has no other. */
function withoutNode(argv: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(
    'unshare',
    ['-m', 'sh', '-c', 'mount --bind /dev/null /usr/bin/node && exec "$@"', 'sh', ...argv],
    { cwd, encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NO_COLOR: '1', LANG: 'C.UTF-8' } },
  );
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(missing.length > 0)('the .deb installed on a host without Node.js', () => {
  const install = testedInstalls()[0]!;
  let dir: string;
  let c: Cluster;
  let dsn: string;
  let deb: string;
  let packaging: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pgharden-package-'));
    spawnSync('dpkg', ['-r', 'pgharden'], { stdio: 'ignore' }); // a leftover of an earlier run
    packaging = execFileSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const debs = readdirSync(join(ROOT, 'dist-package')).filter((f) => /^pgharden_.*\.deb$/.test(f));
    expect(debs).toHaveLength(1);
    deb = join(ROOT, 'dist-package', debs[0]!);
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', deb], {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    c = await startStoryCluster(install);
    dsn = `postgres://postgres@127.0.0.1:${c.port}/postgres`;
  });

  afterAll(async () => {
    await c?.stop();
    spawnSync('apt-get', ['remove', '-y', 'pgharden'], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no node to run: /usr/bin/node is empty and nothing else is on PATH', () => {
    const r = withoutNode(['sh', '-c', 'node --version'], dir);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
  });

  it('installs /usr/bin/pgharden with its man page, depending on the PostgreSQL client tools', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    console.log(
      `package.test: ${packaging.trim().split('\n').join('; ')}; installed ${(statSync('/usr/bin/pgharden').size / 1e6).toFixed(1)} MB`,
    );
    const status = execFileSync('dpkg-query', ['-W', '-f', `\${Status} \${Version} \${Depends}`, 'pgharden'], {
      encoding: 'utf8',
    });
    expect(status).toMatch(new RegExp(`^install ok installed ${pkg.version.replaceAll('.', '\\.')} `));
    expect(status).toContain('postgresql-client-common');
    expect(existsSync('/usr/share/man/man1/pgharden.1.gz')).toBe(true);
    const v = withoutNode(['/usr/bin/pgharden', '--version'], dir);
    expect(v).toMatchObject({ code: 0, stdout: `pgharden ${pkg.version}\n` });
    const help = withoutNode(['pgharden', '--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pgharden <command>');
  });

  it('reads a pg_hba.conf as the built CLI does', () => {
    const hba = join(dir, 'pg_hba.conf');
    writeFileSync(
      hba,
      `local all postgres peer\nhost all all ${VPN_RANGE} trust\nhost all all 0.0.0.0/0 md5 bogus=1\n`,
    );
    const r = withoutNode(['pgharden', 'inspect', 'hba', hba, '--json'], dir);
    expect(r.stderr).not.toMatch(/internal error/);
    const viaNode = pgharden(['inspect', 'hba', hba, '--json']);
    expect(r.code).toBe(viaNode.code);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(viaNode.stdout));
    expect(JSON.parse(r.stdout)).toHaveLength(3);
  });

  it('audits the insecure cluster with the same findings as the built CLI', () => {
    const r = withoutNode(['pgharden', 'audit', '--dsn', dsn, '--json'], dir);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(1); // findings
    const ids = (s: string) => (JSON.parse(s) as { findings: { id: string }[] }).findings.map((f) => f.id).sort();
    const viaNode = pgharden(['audit', '--dsn', dsn, '--json']);
    expect(ids(r.stdout)).toEqual(ids(viaNode.stdout));
    expect(ids(r.stdout).length).toBeGreaterThan(0);
  });

  it('plans the hardening: built-in templates and the SQL parser come from the executable', () => {
    writeFileSync(
      join(dir, 'harden.yaml'),
      [
        'target:',
        `  dsn: ${dsn}`,
        'network:',
        `  trustedRanges: [${VPN_RANGE}]`,
        'roles:',
        '  - { name: agents_app, template: app-readwrite, databases: [workspace] }',
        '  - { name: reporting, template: readonly, databases: [workspace] }',
        '',
      ].join('\n'),
    );
    const r = withoutNode(
      ['pgharden', 'plan', '--spec', 'harden.yaml', '--out', 'plans/vpn', '--skip-backup', '--json'],
      dir,
    );
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code, r.stderr).toBe(0);
    const plan = readFileSync(join(dir, 'plans', 'vpn', 'plan.json'), 'utf8');
    // The templates' statements, split by the WebAssembly parser, are in the plan.
    expect(plan).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA/i);
    expect(plan).toContain('agents_app');
  });

  it.skipIf(debianUnavailable() !== undefined)('audits a Debian cluster named by --cluster', async () => {
    const d = await createDebianCluster();
    try {
      const r = withoutNode(['pgharden', 'audit', '--cluster', d.id, '--json'], dir);
      expect(r.stderr).not.toMatch(/internal error/);
      const viaNode = pgharden(['audit', '--cluster', d.id, '--json']);
      expect(r.code, r.stderr).toBe(viaNode.code);
      expect([0, 1]).toContain(r.code);
      const audit = (s: string) => JSON.parse(s) as { findings: { id: string }[] };
      expect(audit(r.stdout).findings.map((f) => f.id)).toEqual(audit(viaNode.stdout).findings.map((f) => f.id));
    } finally {
      d.drop();
    }
  });

  it.skipIf(!ANSIBLE_PRESENT)("installs through the playbook's install role, once", () => {
    execFileSync('dpkg', ['-r', 'pgharden'], { stdio: 'ignore' });
    expect(existsSync('/usr/bin/pgharden')).toBe(false);
    const inventory = join(dir, 'inventory.yml');
    writeFileSync(
      inventory,
      JSON.stringify({
        postgresql: {
          hosts: { db1: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' } },
        },
      }),
    );
    const play = () =>
      spawnSync('ansible-playbook', ['-i', inventory, PLAYBOOK, '--tags', 'install', '-e', `pgharden_deb=${deb}`], {
        cwd: ANSIBLE_DIR,
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
      });
    const first = play();
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/db1\s*: ok=\d+\s+changed=[1-9]/);
    expect(first.stdout).toMatch(/pgharden \d+\.\d+\.\d+ on db1/);
    // Only the install ran: no audit, no plan.
    expect(first.stdout).not.toMatch(/Audit before/);
    expect(withoutNode(['pgharden', '--version'], dir).code).toBe(0);
    const second = play();
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/db1\s*: ok=\d+\s+changed=0/);
  });
});
