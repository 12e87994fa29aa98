import { describe, expect, it } from 'vitest';
import { parseSpec, SpecError } from '../../../src/spec/spec.js';
import { caught } from '../../support/caught.js';

const BASE = `network: { trustedRanges: [10.8.0.0/24] }
roles: [{ name: a, template: readonly, databases: [d] }]
`;

describe('the spec tls section', () => {
  it('is off for a spec written before it existed', () => {
    expect(parseSpec(BASE, 'harden.yaml').tls).toEqual({
      mode: 'off',
      minProtocol: 'TLSv1.2',
      certificate: 'generate',
      days: 397,
      expiryWarningDays: 30,
    });
  });

  it('reads verify-full with a generated certificate and TLSv1.3', () => {
    const spec = parseSpec(
      `${BASE}tls: { mode: verify-full, minProtocol: TLSv1.3, certificate: generate }\n`,
      'h.yaml',
    );
    expect(spec.tls).toMatchObject({ mode: 'verify-full', minProtocol: 'TLSv1.3', certificate: 'generate' });
  });

  it("reads the operator's own files", () => {
    const spec = parseSpec(
      `${BASE}tls: { mode: require, certificate: { cert: /etc/ssl/s.crt, key: /etc/ssl/s.key, ca: /etc/ssl/ca.crt } }\n`,
      'h.yaml',
    );
    expect(spec.tls.certificate).toEqual({ cert: '/etc/ssl/s.crt', key: '/etc/ssl/s.key', ca: '/etc/ssl/ca.crt' });
  });

  it('lists every problem with its line: a bad mode, an old protocol, a certificate without its key', () => {
    const err = caught<SpecError>(() =>
      parseSpec(
        `${BASE}tls:\n  mode: verify\n  minProtocol: TLSv1.1\n  certificate: { cert: a.crt, ca: ca.crt }\n`,
        'h.yaml',
      ),
    );
    expect(err).toBeInstanceOf(SpecError);
    const message = err.message;
    expect(message).toContain('h.yaml:4: tls.mode: must be one of "off", "require", "verify-full"');
    expect(message).toContain('h.yaml:5: tls.minProtocol: must be one of "TLSv1.2", "TLSv1.3"');
    expect(message).toContain('h.yaml:6: tls.certificate: must be "generate" or { cert: FILE, key: FILE, ca: FILE }');
  });
});
