/**
 * pgharden audit against real clusters: the story's insecure cluster made worse (every check but
 * the SSL ones fires), an ssl=on variant (the SSL checks fire), and a hardened cluster (no
 * check fires). Each check is thereby seen to fire on a bad state and stay silent on a good one.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/audit/run-audit.js';
import { clientFrom } from '../../src/connect/from-address.js';
import { generateCertificates } from '../../src/plan/tls-certificate.js';
import { startStoryCluster, VPN_DEVICE } from '../../src/scratch/story.js';
import { startCluster, testedInstalls, type Cluster, type PgInstall } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';

const md5 = (password: string, user: string) =>
  `md5${createHash('md5')
    .update(password + user)
    .digest('hex')}`;

interface AuditJson {
  findings: { id: string; severity: string; evidence: string[] }[];
  matrix: { sources: { label: string }[]; cells: Record<string, Record<string, string>> };
  limits: string[];
}

function audit(c: Cluster, user = 'postgres', password?: string): { code: number; json: AuditJson; stderr: string } {
  const auth = password ? `${user}:${password}` : user;
  const r = pgharden(['audit', '--json', '--dsn', `postgres://${auth}@127.0.0.1:${c.port}/postgres`]);
  return { code: r.code, json: JSON.parse(r.stdout || '{}') as AuditJson, stderr: r.stderr };
}

const ids = (j: AuditJson) => [...new Set(j.findings.map((f) => f.id))].sort();

/**
 * The story cluster for the enclosing describe, worsened by `prepare`, with the agents' app
 * connected as superuser from a VPN address for as long as the tests run.
 */
function useStory(install: PgInstall, prepare: (c: Cluster) => Promise<void> = async () => undefined): () => Cluster {
  let c: Cluster | undefined;
  let app: ReturnType<typeof clientFrom> | undefined;
  beforeAll(async () => {
    c = await startStoryCluster(install);
    await prepare(c);
    app = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: c.port,
      user: 'postgres',
      database: 'workspace',
      application_name: 'agents',
    });
    await app.connect();
  });
  afterAll(async () => {
    await app?.end();
    await c?.stop();
  });
  return () => c!;
}

describe.each(testedInstalls())('pgharden audit on PostgreSQL $major', (install) => {
  describe("the story's cluster, as it is", () => {
    const story = useStory(install);

    it("reports exactly the story's risks and its matrix", () => {
      const { code, json } = audit(story());
      expect(code).toBe(1);
      expect(ids(json)).toEqual([
        'conf-file-errors',
        'file-permissions',
        'hba-trust-local',
        'hba-trust-network',
        'listen-all-wide',
        'log-connections-off',
        'roles-no-password-network',
        'ssl-off-network',
        'superuser-connected',
        'superuser-network',
        'wal-archiving-off',
      ]);
      expect(
        json.findings
          .filter((f) => f.severity === 'critical')
          .map((f) => f.id)
          .sort(),
      ).toEqual(['hba-trust-network', 'superuser-network']);
      expect(json.matrix.sources.map((s) => s.label)).toEqual(['local', 'loopback', '127.10.0.0/16', 'anywhere']);
      expect(json.matrix.cells).toEqual({
        postgres: { local: 'trust', loopback: 'trust', '127.10.0.0/16': 'trust', anywhere: 'no entry' },
      });
    });
  });

  describe('the story cluster, made worse', () => {
    const story = useStory(install, async (c) => {
      await c.query(`CREATE ROLE legacy LOGIN PASSWORD '${md5('unused', 'legacy')}'`);
      await c.query('CREATE ROLE admin2 SUPERUSER LOGIN');
      await c.query('CREATE ROLE ops LOGIN CREATEROLE BYPASSRLS');
      await c.query('GRANT CREATE ON SCHEMA public TO PUBLIC');
      await c.query("ALTER SYSTEM SET password_encryption = 'md5'");
      if (c.major >= 16) await c.query('ALTER SYSTEM SET scram_iterations = 1000');
      await c.reload();
      // Appended after the reload: the file on disk is not what the server has loaded. (File
      // times come from the kernel's coarse clock: wait a tick so the write is visibly later.)
      await new Promise((r) => setTimeout(r, 50));
      appendFileSync(
        c.hbaFile,
        [
          'host    workspace       app             127.10.1.0/24           md5',
          'host    all             legacy          127.20.0.0/24           password',
          'host    shop            all             127.30.0.0/24           md5',
          'host    replication     all             127.40.0.0/16           trust',
          'host    shop            app             10.0.0.0/8              scram-sha-256',
          'host    all             all             10.0.0.0/33             trust',
          '',
        ].join('\n'),
      );
      chownSync(c.identFile, 65534, c.gid); // owned by "nobody": not the server's user
      chmodSync(c.identFile, 0o640);
      chmodSync(c.dataDir, 0o755);
    });

    it('reports every expected finding, with evidence, and the matrix', () => {
      const c = story();
      const { code, json } = audit(c);
      expect(code).toBe(1);
      const expected = CHECKS.map((k) => k.id)
        // ssl is off here: the TLS checks are proven on the ssl=on cluster below.
        .filter(
          (id) =>
            ![
              'hba-ssl-not-required',
              'ssl-key-permissions',
              'tls-min-protocol-weak',
              'tls-cert-expiring',
              'tls-key-owner',
              'tls-sessions-plain',
              // Judged when TLS is required or a plan asks for it: tls-harden.test.ts audits its consumers.
              'tls-consumer-unverified',
            ].includes(id),
        )
        // Backup and drill ages need a metrics file or pgBackRest, a failing archiver needs archiving
        // on: test/integration/pitr-enable.test.ts proves those on a cluster that archives.
        .filter(
          (id) =>
            !['backup-stale', 'drill-stale', 'wal-archiving-failing', 'archive-lag', 'backup-same-host'].includes(id),
        )
        // Password ages come from applied plans' journals, at least a day old: test/unit/audit/password-age.test.ts.
        .filter((id) => id !== 'password-age')
        .filter((id) => id !== 'scram-iterations-low' || c.major >= 16)
        .sort();
      expect(ids(json)).toEqual(expected);
      const trust = json.findings.find((f) => f.id === 'hba-trust-network' && f.severity === 'critical');
      expect(trust?.evidence).toContain(
        `${c.hbaFile}:9: host    all             all             127.10.0.0/16           trust`,
      );
      const listen = json.findings.find((f) => f.id === 'listen-all-wide')!;
      expect(listen.evidence).toContain("listen_addresses in force: '127.0.0.1'");
      expect(
        listen.evidence.some(
          (e) => e.endsWith("listen_addresses = '*'") || e.includes(": '*' (takes effect at the next restart)"),
        ),
      ).toBe(true);
      expect(json.findings.find((f) => f.id === 'superuser-connected')!.evidence.join('\n')).toContain(
        `from ${VPN_DEVICE} (agents, database workspace)`,
      );
      expect(json.findings.find((f) => f.id === 'hba-shadowed')!.evidence[0]).toContain(
        ':12: host    workspace       app             127.10.1.0/24',
      );
      expect(json.matrix.cells.postgres).toMatchObject({
        local: 'trust',
        loopback: 'trust',
        '127.10.0.0/16': 'trust',
        anywhere: 'no entry',
      });
      expect(json.matrix.cells.legacy).toMatchObject({ '127.20.0.0/24': 'password', '10.0.0.0/8': 'no entry' });
    });

    it('without superuser still runs and says precisely what it could not see', () => {
      const { code, json, stderr } = audit(story(), 'ops');
      expect([0, 1], stderr).toContain(code);
      expect(json.limits).toEqual(
        expect.arrayContaining([
          expect.stringContaining('connected as "ops", not a superuser'),
          'setting hba_file: not visible to "ops"',
          expect.stringContaining('pg_hba.conf: its location (hba_file) is not visible'),
          expect.stringContaining('pg_authid: permission denied'),
        ]),
      );
      // What it can see, it still judges: role attributes come from pg_roles.
      expect(ids(json)).toEqual(expect.arrayContaining(['login-role-powers', 'multiple-superusers']));
    });

    it('--fail-on critical still exits 1; an unknown level is a usage error', () => {
      expect(
        pgharden(['audit', '--fail-on', 'critical', '--dsn', `postgres://postgres@127.0.0.1:${story().port}/postgres`])
          .code,
      ).toBe(1);
      expect(pgharden(['audit', '--fail-on', 'severe']).code).toBe(2);
    });
  });

  describe('an ssl=on cluster with host rules, TLS 1.0 allowed, a 2-day certificate and a readable key owned by nobody', () => {
    let c: Cluster;
    let app: ReturnType<typeof clientFrom> | undefined;
    beforeAll(async () => {
      c = await startStoryCluster(install, { ssl: true, settings: { ssl_min_protocol_version: 'TLSv1' } });
      const [key] = await c.query<{ k: string }>("SELECT current_setting('ssl_key_file') AS k");
      chmodSync(key!.k, 0o644);
      // Read by the server at start only: no reload follows.
      chownSync(key!.k, 65534, c.gid);
      // An agent on the VPN that does not use the TLS the server offers.
      app = clientFrom(VPN_DEVICE, {
        host: '127.0.0.1',
        port: c.port,
        user: 'postgres',
        database: 'workspace',
        ssl: false,
      });
      await app.connect();
    });
    afterAll(async () => {
      await app?.end().catch(() => undefined);
      await c?.stop();
    });

    it('reports the SSL and TLS findings and not ssl-off-network', () => {
      const { json } = audit(c);
      const found = ids(json);
      expect(found).toEqual(
        expect.arrayContaining([
          'hba-ssl-not-required',
          'ssl-key-permissions',
          'tls-min-protocol-weak',
          'tls-cert-expiring',
          'tls-key-owner',
          'tls-sessions-plain',
        ]),
      );
      expect(found).not.toContain('ssl-off-network');
      const expiring = json.findings.find((f) => f.id === 'tls-cert-expiring')!;
      expect(expiring.evidence[0]).toMatch(/: valid until .* \(1 days left\), sha256 [0-9a-f]{64}$/);
      expect(json.findings.find((f) => f.id === 'tls-sessions-plain')!.evidence).toEqual([
        `1 session of postgres from ${VPN_DEVICE} to workspace: pg_stat_ssl.ssl = false`,
      ]);
    });
  });

  describe('a hardened cluster', () => {
    let c: Cluster;
    const password = 'audit-test-only';
    beforeAll(async () => {
      // A well-kept server archives its WAL (`true` here: the audit judges the settings and the archiver).
      c = await startCluster(install, {
        ssl: true,
        postgresqlConf: "log_connections = on\narchive_mode = on\narchive_command = 'true'\n",
      });
      // A certificate valid for 400 days from pgharden's own CA, in place of the scratch cluster's 2-day one.
      const tlsDir = mkdtempSync(join(tmpdir(), 'pgharden-audit-tls-'));
      await generateCertificates(tlsDir, { names: ['127.0.0.1'], days: 400, label: 'audit test' });
      // The scratch cluster sets the files on its command line: the new pair goes where they point.
      const [files] = await c.query<{ cert: string; key: string }>(
        "SELECT current_setting('ssl_cert_file') AS cert, current_setting('ssl_key_file') AS key",
      );
      for (const [f, to] of [
        ['server.crt', files!.cert],
        ['server.key', files!.key],
      ] as const) {
        copyFileSync(join(tlsDir, 'tls', f), to);
        chownSync(to, c.uid, c.gid);
        chmodSync(to, 0o600);
      }
      rmSync(tlsDir, { recursive: true, force: true });
      await c.query(`ALTER ROLE postgres PASSWORD '${password}'`);
      await c.query(`CREATE ROLE app LOGIN PASSWORD '${password}'`);
      c.writeFile(
        c.hbaFile,
        [
          'local   all   postgres                   peer',
          'local   all   all                        scram-sha-256',
          'host    all   postgres   127.0.0.1/32    scram-sha-256',
          'hostssl all   app        127.10.0.0/24   scram-sha-256',
          'host    all   all        0.0.0.0/0       reject',
          'host    all   all        ::/0            reject',
          '',
        ].join('\n'),
      );
      await c.query('SELECT pg_reload_conf()');
    });
    afterAll(async () => c?.stop());

    it('reports nothing, and exits 0', () => {
      const { code, json, stderr } = audit(c, 'postgres', password);
      expect(json.findings, stderr).toEqual([]);
      expect(code).toBe(0);
      expect(json.matrix.cells.app).toMatchObject({
        local: 'scram-sha-256',
        '127.10.0.0/24': 'reject',
        anywhere: 'reject',
      });
    });
  });
});
