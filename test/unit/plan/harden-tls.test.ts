/**
 * The spec's tls section in the hardening plan, as the pure planner orders it: server TLS after the
 * canary, the consumers' rewrites with verify-full, the flip to hostssl with hostnossl reject,
 * channel binding after the flip, and verify asking over TLS and proving plain TCP refused.
 */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/plan/planner.js';
import type { PlanInput } from '../../../src/plan/input.js';
import type { Check, Plan } from '../../../src/plan/plan-types.js';
import { tlsDecision } from '../../../src/plan/harden-tls-make.js';
import { storyInput, storySnapshot, storySpec } from './fixtures.js';

const absent = (path: string) => ({ path, sha256: null, mode: null, uid: null, gid: null });

async function withTls(): Promise<PlanInput> {
  const input = await storyInput();
  input.tls = {
    setup: {
      mode: 'verify-full',
      minProtocol: 'TLSv1.2',
      certFile: '/pg/data/pgharden-server.crt',
      keyFile: '/pg/data/pgharden-server.key',
      caFile: '/srv/plans/office-vpn/tls/ca.crt',
      caSha256: 'ca',
      sha256: 'fp',
      names: ['127.0.0.1'],
      notAfter: '2027-12-01T00:00:00.000Z',
    },
    certFile: absent('/pg/data/pgharden-server.crt'),
    keyFile: absent('/pg/data/pgharden-server.key'),
    certSha256: 'crt',
    keySha256: 'key',
    consumers: {
      agents: {
        params: { sslmode: 'verify-full', sslrootcert: '/srv/agents/pgharden-ca.crt' },
        ca: absent('/srv/agents/pgharden-ca.crt'),
        boundSha256: 'bound',
      },
    },
  };
  return input;
}

const step = (p: Plan, id: string) => p.steps.find((s) => s.id === id)!;
const checksOf = (p: Plan, id: string): Check[] => {
  const f = step(p, id).forward;
  return f.do === 'probe' ? f.checks : step(p, id).verify;
};

describe('the hardening plan with the spec tls section', () => {
  it('orders server TLS after the canary, the CA copy before the rewrite, channel binding after the flip', async () => {
    const plan = buildPlan(await withTls());
    const ids = plan.steps.map((s) => s.id);
    expect([...new Set(plan.steps.map((s) => s.stage))]).toEqual([
      'preflight',
      'roles',
      'canary',
      'server-tls',
      'consumers',
      'flip',
      'verify',
    ]);
    expect(ids.filter((i) => i.startsWith('server-tls/'))).toEqual([
      'server-tls/certificate',
      'server-tls/key',
      'server-tls/settings',
      'server-tls/reload',
    ]);
    expect(ids.indexOf('consumers/agents/ca')).toBe(ids.indexOf('consumers/agents/rewrite') - 1);
    expect(ids.indexOf('flip/channel-binding-agents')).toBeGreaterThan(ids.indexOf('flip/reload'));
    const rewrite = step(plan, 'consumers/agents/rewrite');
    expect(rewrite.forward).toMatchObject({ params: { sslmode: 'verify-full' } });
    expect(rewrite.verify).toEqual([expect.objectContaining({ check: 'consumer-tls', expect: 'ok' })]);
    expect(plan.tls?.sha256).toBe('fp');
    // The certificate, key and CA copy are files the plan touches: rollback removes them.
    expect(plan.binding.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        '/pg/data/pgharden-server.crt',
        '/pg/data/pgharden-server.key',
        '/srv/agents/pgharden-ca.crt',
      ]),
    );
    expect(step(plan, 'server-tls/key').undo).toEqual({ do: 'remove-file', path: '/pg/data/pgharden-server.key' });
    expect(plan.rollback.shell).toContain("rm -f '/srv/agents/pgharden-ca.crt'");
  });

  it('flips to hostssl with hostnossl reject, and asks over TLS what it asked in the clear', async () => {
    const plan = buildPlan(await withTls());
    const hba = step(plan, 'flip/hba').forward;
    if (hba.do !== 'write-file') throw new Error('flip/hba writes no file');
    expect(hba.content).toMatch(/^hostnossl\s+all\s+all\s+127\.10\.0\.0\/16\s+reject/m);
    expect(hba.content).not.toMatch(/^host\s+\S+\s+\S+\s+\S+\s+(trust|scram-sha-256)/m);
    const flip = checksOf(plan, 'flip/reload').filter((c) => c.check === 'auth' && c.user === 'agents_app');
    expect(flip.map((c) => c.check === 'auth' && [c.expect, Boolean(c.ssl)])).toEqual([
      ['password-required', true],
      ['refused', false],
    ]);
    const passwordless = checksOf(plan, 'verify/passwordless');
    expect(passwordless.some((c) => c.check === 'auth' && c.expect === 'password-required' && !c.ssl)).toBe(false);
    expect(checksOf(plan, 'verify/tls')).toContainEqual(
      expect.objectContaining({ check: 'consumer-tls', expect: 'refused' }),
    );
    const privileges = plan.steps
      .filter((s) => s.id.startsWith('verify/privileges-'))
      .flatMap((s) => checksOf(plan, s.id));
    expect(privileges.length).toBeGreaterThan(0);
    expect(privileges.every((c) => c.check === 'privilege' && c.ssl === true)).toBe(true);
  });

  it('is the plain hardening plan without it: no server-tls stage, no hostssl', async () => {
    const plan = buildPlan(await storyInput());
    expect(plan.steps.some((s) => s.stage === 'server-tls')).toBe(false);
    const hba = step(plan, 'flip/hba').forward;
    expect(hba.do === 'write-file' && hba.content.includes('hostssl')).toBe(false);
  });
});

describe('whether the hardening plan carries TLS', () => {
  const consumer = async () => (await storyInput()).consumers;
  it('proposes verify-full when the spec has no tls section and the audit finds ssl off over the network', async () => {
    const spec = storySpec();
    const d = tlsDecision({
      spec,
      specFile: 'harden.yaml',
      consumers: await consumer(),
      inSync: [],
      liveCertFile: null,
      snapshot: storySnapshot(),
    });
    expect(d).toEqual({
      notice: expect.stringMatching(
        /^TLS: the audit finds ssl-off-network: add tls: \{ mode: verify-full \} to harden\.yaml/,
      ),
    });
  });
  it('says nothing without TLS findings (no network rule admits)', async () => {
    const d = tlsDecision({
      spec: storySpec(),
      specFile: 'harden.yaml',
      consumers: await consumer(),
      inSync: [],
      liveCertFile: null,
      snapshot: storySnapshot('local all postgres peer\n'),
    });
    expect(d).toBe('off');
  });
  it('carries it when every consumer moves and pgharden never set up the certificate', async () => {
    const spec = { ...storySpec(), tls: { ...storySpec().tls, mode: 'verify-full' as const } };
    const base = { spec, specFile: 'harden.yaml', consumers: await consumer(), snapshot: storySnapshot() };
    expect(tlsDecision({ ...base, inSync: [], liveCertFile: '/etc/ssl/certs/ssl-cert-snakeoil.pem' })).toBe('carry');
    // A consumer already on its role would not get its TLS parameters here: hostssl could lock it out.
    expect(tlsDecision({ ...base, inSync: [{ name: 'batch' }], liveCertFile: null })).toEqual({
      notice: expect.stringContaining('batch already on its role'),
    });
    expect(tlsDecision({ ...base, inSync: [], liveCertFile: '/pg/data/pgharden-server.crt' })).toEqual({
      notice: expect.stringContaining('--tls (or --renew-certificate)'),
    });
  });
});
