/**
 * `plan --rotate ROLE | --rotate-all`'s I/O: reads the live roles (and the old login's verifier, so
 * rollback can give it back), each consumer file of the rotated roles (which login it uses now, and
 * its password, to prove the server refuses it afterwards), then saves the plan built by rotate.ts.
 */
import { statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { connectionMatrix } from '../audit/matrix.js';
import { connect, osUserName, recordTarget, type ConnectOptions } from '../connect/connect.js';
import { introspect } from '../cluster/introspect.js';
import { readCapped } from '../conf/read-capped.js';
import type { Spec } from '../spec/spec.js';
import { observeFile } from './binding.js';
import { chooseSite, rewriteSite, type Site } from '../consumers/edit.js';
import { keywordConfig } from '../consumers/keyword-dsn.js';
import { PlanError } from './input.js';
import { planId } from './planner.js';
import { loginsOf, partnerOf } from './rotate-partner.js';
import { buildRotationPlan, type RotatedConsumer, type Rotation } from './rotate.js';
import { newPlanKey, newSecrets, secretsText, sha256Text, type Secrets } from './secrets.js';
import { writePlanDir } from './plan-dir.js';
import type { Plan } from './plan-types.js';

export interface RotatePlanOptions {
  spec: Spec;
  specFile: string;
  /** The spec roles to rotate; `all` for every spec role. */
  roles: string[] | 'all';
  out: string;
  connection: ConnectOptions;
  version: string;
  now: Date;
}

/** The password a connection string holds, if any (never shown; kept only in the plan's secrets file). */
function passwordOf(site: Site): string | null {
  if (site.password) return site.password;
  if (site.kind === 'uri') {
    const m = /^postgres(?:ql)?:\/\/[^:@/?#]*:([^@/?#]*)@/.exec(site.text);
    return m ? decodeURIComponent(m[1]!) : null;
  }
  if (site.kind === 'keyword') {
    const p = keywordConfig(site.text).password;
    return typeof p === 'string' ? p : null;
  }
  return null;
}

/** Makes and saves the rotation plan; returns it with its directory. */
export async function makeRotationPlan(o: RotatePlanOptions): Promise<{ plan: Plan; dir: string }> {
  const dir = resolve(o.out);
  const specDir = dirname(resolve(o.specFile));
  const names = o.roles === 'all' ? o.spec.roles.map((r) => r.name) : o.roles;
  const problems = names
    .filter((n) => !o.spec.roles.some((r) => r.name === n))
    .map((n) => `--rotate ${n}: not one of the spec's roles (${o.spec.roles.map((r) => r.name).join(', ')})`);
  if (problems.length) throw new PlanError(problems);
  const admin = await connect(o.connection);
  try {
    const snapshot = await introspect(admin);
    const verifiers = new Map(
      (
        await admin.query<{ n: string; v: string | null }>(
          'SELECT rolname AS n, rolpassword AS v FROM pg_authid WHERE rolname = ANY($1)',
          [names.flatMap(loginsOf)],
        )
      ).rows.map((r) => [r.n, r.v]),
    );
    const exists = (n: string) => snapshot.roles.some((r) => r.name === n);
    const rotations: Rotation[] = [];
    const found: { spec: Spec['consumers'][number]; path: string; text: string; site: Site }[] = [];
    const oldPasswords = new Map<string, string>();
    for (const name of names) {
      if (!exists(name)) {
        problems.push(
          `--rotate ${name}: the role does not exist on the server; harden first (pgharden plan --spec ${o.specFile})`,
        );
        continue;
      }
      const users = new Set<string>();
      for (const c of o.spec.consumers.filter((x) => x.role === name)) {
        const path = isAbsolute(c.file) ? c.file : resolve(specDir, c.file);
        try {
          const text = readCapped(path).toString('utf8');
          const site = chooseSite(path, text, c.key, c.format);
          found.push({ spec: c, path, text, site });
          users.add(site.user ?? '');
          const p = passwordOf(site);
          if (p && site.user) oldPasswords.set(site.user, p);
        } catch (err) {
          problems.push(`consumer "${c.name}": ${(err as Error).message}`);
        }
      }
      const inUse = [...users];
      const logins = loginsOf(name);
      if (inUse.length > 1 || (inUse[0] !== undefined && !logins.includes(inUse[0]))) {
        problems.push(
          `--rotate ${name}: its consumers connect as ${inUse.map((u) => u || '(no user)').join(', ')}, not one of ${logins.join(', ')}; bring them to one login first (pgharden drift shows which)`,
        );
        continue;
      }
      const from = inUse[0] ?? (snapshot.roles.find((r) => r.name === partnerOf(name))?.login ? partnerOf(name) : name);
      const to = from === name ? partnerOf(name) : name;
      if (Buffer.byteLength(to) > 63)
        problems.push(`--rotate ${name}: the partner login "${to}" is longer than 63 bytes`);
      rotations.push({
        role: name,
        from,
        to,
        toExists: exists(to),
        oldPasswordKnown: oldPasswords.has(from),
        oldVerifierKnown: Boolean(verifiers.get(from)),
      });
    }
    if (problems.length) throw new PlanError(problems);

    const secrets: Secrets = newSecrets(rotations.map((r) => r.to));
    for (const r of rotations) {
      const verifier = verifiers.get(r.from);
      if (verifier || oldPasswords.has(r.from))
        secrets[r.from] = { password: oldPasswords.get(r.from) ?? '', verifier: verifier ?? '' };
    }
    const consumers: RotatedConsumer[] = found.map(({ spec: c, path, text, site }) => {
      const to = rotations.find((r) => r.role === c.role)!.to;
      const key = c.key ?? site.key ?? undefined;
      const format = c.format ?? (site.kind === 'pgpass' ? 'pgpass' : site.kind === 'service' ? 'pg_service' : 'text');
      return {
        name: c.name,
        path,
        format,
        ...(key ? { key } : {}),
        role: c.role,
        database: site.database,
        rewritten: rewriteSite(path, text, {
          ...(key ? { key } : {}),
          format,
          user: to,
          password: secrets[to]!.password,
        }),
        binding: observeFile(path),
      };
    });
    const extra = (
      await admin.query<{ port: string; sockets: string }>(
        "SELECT current_setting('port') AS port, current_setting('unix_socket_directories') AS sockets",
      )
    ).rows[0]!;
    const dataDirectory = snapshot.settings.data_directory ?? '';
    const planKey = newPlanKey();
    const text = secretsText(secrets, planKey);
    const body = buildRotationPlan({
      name: o.out.replace(/\/+$/, '').split('/').at(-1)!,
      planDir: dir,
      createdAt: o.now.toISOString(),
      version: o.version,
      target: recordTarget(o.connection),
      snapshot,
      matrix: connectionMatrix(snapshot),
      server: {
        major: snapshot.major,
        version: snapshot.version,
        hbaFile: snapshot.hba.file,
        configFile: snapshot.settings.config_file ?? '',
        autoConfFile: join(dataDirectory, 'postgresql.auto.conf'),
        dataDirectory,
        adminRole: osUserName(statSync(dataDirectory).uid),
        socketDir: extra.sockets.split(',')[0]?.trim() || null,
      },
      port: Number(extra.port),
      spec: o.spec,
      rotations,
      consumers,
      secretsSha256: sha256Text(text),
    });
    const plan = { ...body, id: planId(body) } as Plan;
    writePlanDir(dir, plan, planKey, text);
    return { plan, dir };
  } finally {
    await admin.end();
  }
}
