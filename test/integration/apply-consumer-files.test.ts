/**
 * Consumer files as their readers read them: a .pgpass ends at 0600 and logs in with `psql -w`
 * after the flip; a symlinked consumer file and a symlinked pg_hba.conf are written through to
 * their targets and stay links, and rollback restores them byte-identical; keyword/value DSNs in
 * JSON, YAML and TOML are found, rewritten in their own quoting and log in after the flip; the
 * files' own parsers find them at any depth, never in a comment, whatever escape or string form.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getStaticTOMLValue, parseTOML } from 'toml-eslint-parser';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import {
  consumerSpec,
  fileIdentity,
  hasDumpTools,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';

const PSQL = '/usr/lib/postgresql/15/bin/psql';

describe.each(testedInstalls())('consumer files as their readers read them, on PostgreSQL $major', (install) => {
  const skip = hasDumpTools(install.major) ? [] : ['--skip-backup'];
  let s: StoryPlanSetup;
  beforeEach(async () => {
    s = await storyWithConsumers(install);
  });
  afterEach(async () => s?.cleanup());

  const spec = (name: string, consumers: string[]) => {
    const file = consumerSpec(s, name, consumers);
    const out = join(s.dir, 'plans', name);
    const r = pgharden(['plan', '--spec', file, '--out', out, ...skip]);
    if (r.code !== 0) throw new Error(`plan failed (${r.code}): ${r.stderr}`);
    return out;
  };
  const password = (plan: string) =>
    (JSON.parse(readFileSync(join(plan, 'secrets'), 'utf8')) as { roles: Record<string, { password: string }> }).roles
      .agents_app!.password;

  it('leaves a .pgpass at 0600 and it logs in with psql -w after the flip', () => {
    const pgpass = join(s.dir, '.pgpass');
    writeFileSync(pgpass, `127.0.0.1:${s.cluster.port}:workspace:postgres:unused\n`, { mode: 0o640 });
    const plan = spec('pgpass', [
      `{ name: cron, file: .pgpass, key: "127.0.0.1:${s.cluster.port}:workspace", role: agents_app }`,
    ]);
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lstatSync(pgpass).mode & 0o777).toBe(0o600);
    const psql = spawnSync(
      PSQL,
      [
        '-w',
        '-h',
        '127.0.0.1',
        '-p',
        String(s.cluster.port),
        '-U',
        'agents_app',
        '-d',
        'workspace',
        '-Atc',
        'SELECT current_user',
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, PGPASSFILE: pgpass, PGPASSWORD: '' },
      },
    );
    expect(psql.stderr).toBe('');
    expect(psql.stdout.trim()).toBe('agents_app');
    expect(pgharden(['rollback', plan]).code).toBe(0);
    expect(lstatSync(pgpass).mode & 0o777).toBe(0o640);
  });

  it('writes through a symlinked consumer file and a symlinked pg_hba.conf; rollback restores both, and a link replaced meanwhile', () => {
    const real = join(s.dir, 'real');
    mkdirSync(real);
    const target = join(real, 'agents.env');
    const link = join(s.dir, 'linked.env');
    writeFileSync(target, `DATABASE_URL=postgres://postgres@127.0.0.1:${s.cluster.port}/workspace\n`, { mode: 0o640 });
    symlinkSync(target, link);
    const hbaTarget = join(s.cluster.dataDir, '..', 'hba-real.conf');
    renameSync(s.cluster.hbaFile, hbaTarget);
    symlinkSync(hbaTarget, s.cluster.hbaFile);
    const before = fileIdentity([target, hbaTarget]);
    const plan = spec('symlinks', ['{ name: agents, file: linked.env, role: agents_app }']);
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync(s.cluster.hbaFile).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(
      `DATABASE_URL=postgres://agents_app:${password(plan)}@127.0.0.1:${s.cluster.port}/workspace\n`,
    );
    expect(readFileSync(hbaTarget, 'utf8')).toContain('scram-sha-256');
    expect(readFileSync(join(plan, 'report.txt'), 'utf8')).toContain(`connection string in ${link} logs in`);
    // An editor that saves by replacing breaks the link: rollback puts it back.
    const applied = readFileSync(link);
    rmSync(link);
    writeFileSync(link, applied, { mode: 0o640 });
    expect(pgharden(['rollback', plan]).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync(s.cluster.hbaFile).isSymbolicLink()).toBe(true);
    expect(fileIdentity([target, hbaTarget])).toEqual(before);
  });

  it('finds, rewrites and logs in with keyword/value DSNs in JSON, YAML and TOML', () => {
    const dsn = `host=127.0.0.1 port=${s.cluster.port} user=postgres dbname=workspace`;
    const files: Record<string, string> = {
      'app.json': `{"db": {"connectionString": "${dsn} application_name='it\\\\'s'"}, "debug": false}\n`,
      'nokey.json': `{\n  "database": "${dsn}"\n}\n`,
      'plain.yaml': `db:\n  dsn: ${dsn}\n`,
      'single.yaml': `db:\n  dsn: '${dsn} application_name=''x'''\n`,
      'double.yaml': `db:\n  dsn: "${dsn} application_name=\\"y\\""\n`,
      'app.toml': `[database]\ndsn = "${dsn} application_name=\\"t\\""\n`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(s.dir, name), text);
    const plan = spec('keyword-formats', [
      '{ name: json, file: app.json, key: connectionString, role: agents_app }',
      '{ name: nokey, file: nokey.json, role: agents_app }',
      '{ name: plain, file: plain.yaml, role: agents_app }',
      '{ name: single, file: single.yaml, role: agents_app }',
      '{ name: double, file: double.yaml, role: agents_app }',
      '{ name: toml, file: app.toml, role: agents_app }',
    ]);
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pw = password(plan);
    const report = readFileSync(join(plan, 'report.txt'), 'utf8');
    for (const name of Object.keys(files))
      expect(report).toContain(`connection string in ${join(s.dir, name)} logs in`);
    const read = (name: string) => readFileSync(join(s.dir, name), 'utf8');
    const moved = `host=127.0.0.1 port=${s.cluster.port} user=agents_app dbname=workspace`;
    expect((JSON.parse(read('app.json')) as { db: { connectionString: string } }).db.connectionString).toBe(
      `${moved} application_name='it\\'s' password=${pw}`,
    );
    expect((JSON.parse(read('nokey.json')) as { database: string }).database).toBe(`${moved} password=${pw}`);
    expect((parseYaml(read('plain.yaml')) as { db: { dsn: string } }).db.dsn).toBe(`${moved} password=${pw}`);
    expect((parseYaml(read('single.yaml')) as { db: { dsn: string } }).db.dsn).toBe(
      `${moved} application_name='x' password=${pw}`,
    );
    expect((parseYaml(read('double.yaml')) as { db: { dsn: string } }).db.dsn).toBe(
      `${moved} application_name="y" password=${pw}`,
    );
    expect(read('app.toml')).toBe(`[database]\ndsn = "${moved} application_name=\\"t\\" password=${pw}"\n`);
    expect(pgharden(['rollback', plan]).code).toBe(0);
    for (const [name, text] of Object.entries(files)) expect(read(name)).toBe(text);
  });

  it("finds DSNs through the files' parsers: a dotted path, TOML escapes and multi-line strings, never a comment", () => {
    const uri = `postgres://postgres@127.0.0.1:${s.cluster.port}/workspace`;
    const dsn = `host=127.0.0.1 port=${s.cluster.port} user=postgres dbname=workspace`;
    const files: Record<string, string> = {
      'nested.yaml': `# was: ${uri}\nservices:\n  api:\n    database:\n      url: ${uri}\n  worker:\n    url: ${uri}?application_name=w\n`,
      'escaped.toml': `[[pools]]\nname = "main"\ndsn = "${dsn} application_name=\\U0001F600"  # c\n`,
      'multi.toml': `[db]\r\ndsn = """\r\n${dsn}"""\r\n`,
      'commented.json': `\uFEFF// was: ${uri}\n{\n  /* primary */ "db": {"url": "${uri}"}\n}\n`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(s.dir, name), text);
    const plan = spec('parsed-formats', [
      '{ name: nested, file: nested.yaml, key: services.api.database.url, role: agents_app }',
      '{ name: escaped, file: escaped.toml, role: agents_app }',
      '{ name: multi, file: multi.toml, role: agents_app }',
      '{ name: commented, file: commented.json, role: agents_app }',
    ]);
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pw = password(plan);
    const report = readFileSync(join(plan, 'report.txt'), 'utf8');
    for (const name of Object.keys(files))
      expect(report).toContain(`connection string in ${join(s.dir, name)} logs in`);
    const read = (name: string) => readFileSync(join(s.dir, name), 'utf8');
    const toml = (name: string) => getStaticTOMLValue(parseTOML(read(name))) as Record<string, unknown>;
    const newUri = `postgres://agents_app:${pw}@127.0.0.1:${s.cluster.port}/workspace`;
    const moved = `host=127.0.0.1 port=${s.cluster.port} user=agents_app dbname=workspace`;
    expect(read('nested.yaml')).toBe(files['nested.yaml']!.replace(`      url: ${uri}\n`, `      url: ${newUri}\n`));
    expect(parseYaml(read('nested.yaml')).services.api.database.url).toBe(newUri);
    expect((toml('escaped.toml').pools as { dsn: string }[])[0]!.dsn).toBe(
      `${moved} application_name=\u{1F600} password=${pw}`,
    );
    expect(read('escaped.toml')).toMatch(/ {2}# c\n$/);
    expect((toml('multi.toml').db as { dsn: string }).dsn).toBe(`${moved} password=${pw}`);
    expect(read('multi.toml')).toBe(`[db]\r\ndsn = "${moved} password=${pw}"\r\n`);
    expect(read('commented.json')).toBe(files['commented.json']!.replace(`"url": "${uri}"`, `"url": "${newUri}"`));
    expect(pgharden(['rollback', plan]).code).toBe(0);
    for (const [name, text] of Object.entries(files)) expect(read(name)).toBe(text);
  });
});
