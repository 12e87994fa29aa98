import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consumerTlsFacts } from '../../../src/execute/plan-consumer-dsns.js';

describe("the audit's facts from the plans under a directory", () => {
  const root = mkdtempSync(join(tmpdir(), 'pgharden-consumer-dsns-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const plan = (name: string, body: object) => {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'plan.json'), JSON.stringify(body));
  };

  it('takes tls.expiryWarningDays from the newest plan that records it, a renewal included', () => {
    expect(consumerTlsFacts(root).facts.expiryWarningDays).toBeNull();
    plan('tls', { createdAt: '2026-01-01T00:00:00Z', consumers: [], tls: { expiryWarningDays: 45 } });
    plan('older', { createdAt: '2025-06-01T00:00:00Z', consumers: [], tls: { expiryWarningDays: 90 } });
    plan('harden', { createdAt: '2026-02-01T00:00:00Z', consumers: [] });
    expect(consumerTlsFacts(root).facts).toMatchObject({ expiryWarningDays: 45, requestedBy: join(root, 'tls') });
    plan('renew', {
      createdAt: '2026-03-01T00:00:00Z',
      consumers: [],
      tls: { expiryWarningDays: 14, renews: { plan: 'tls', sha256: 'ab' } },
    });
    // The renewal sets the days; TLS is still asked for by the plan that set it up.
    expect(consumerTlsFacts(root).facts).toMatchObject({ expiryWarningDays: 14, requestedBy: join(root, 'tls') });
  });

  it('a plan written before the setting existed says nothing', () => {
    const dir = mkdtempSync(join(root, 'old-'));
    mkdirSync(join(dir, 'p'));
    writeFileSync(join(dir, 'p', 'plan.json'), JSON.stringify({ createdAt: '2026-01-01T00:00:00Z', tls: {} }));
    expect(consumerTlsFacts(dir).facts.expiryWarningDays).toBeNull();
  });
});
