import type { AuditCheck } from '../finding-types.js';
import { networkRules } from '../rules.js';

/**
 * When the server requires TLS (ssl on and a hostssl rule that admits) or a plan asks for it:
 * consumer files whose connection string lacks sslmode=verify-full (and channel_binding=require
 * where scram-sha-256 is in use), quoted with file:line.
 */
export const check: AuditCheck = {
  id: 'tls-consumer-unverified',
  title: 'consumers that do not verify the server (sslmode=verify-full, channel_binding=require)',
  run(s) {
    const facts = s.consumerTls;
    if (!facts?.consumers.length) return [];
    const rules = networkRules(s);
    const required =
      s.settings.ssl === 'on' && rules.some((r) => r.rule.type === 'hostssl' && r.rule.method !== 'reject');
    if (!required && !facts.requestedBy) return [];
    const scram =
      s.settings.password_encryption === 'scram-sha-256' || rules.some((r) => r.rule.method === 'scram-sha-256');
    const evidence = facts.consumers.flatMap((c) => {
      const lacks: string[] = [];
      if (c.sslmode !== 'verify-full')
        lacks.push(c.sslmode ? `sslmode=${c.sslmode}, not verify-full` : 'no sslmode (libpq: prefer), not verify-full');
      if (scram && c.channelBinding !== 'require')
        lacks.push(
          c.channelBinding ? `channel_binding=${c.channelBinding}, not require` : 'no channel_binding=require',
        );
      return lacks.length ? [`${c.path}:${c.line}: consumer "${c.name}": ${lacks.join('; ')}`] : [];
    });
    if (!evidence.length) return [];
    const because = required ? 'the server requires TLS' : `the plan ${facts.requestedBy} asks for TLS`;
    return [
      {
        severity: 'medium',
        evidence,
        why: `${because[0]!.toUpperCase()}${because.slice(1)}, but these connection strings do not check whom they talk to: without sslmode=verify-full a client cannot tell the server from an impostor on the path, and without channel_binding=require a relay can pass its SCRAM exchange through.`,
        fix: {
          stage: 'consumers',
          text: "Set tls: { mode: verify-full } in the spec and run pgharden plan --spec FILE --tls: each consumer gets sslmode=verify-full, sslrootcert and channel_binding=require, proven by a login as the file's owner.",
        },
        cis: 'Ensure SSL is enabled and configured correctly',
      },
    ];
  },
};
