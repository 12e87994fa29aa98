/**
 * The audit's consumer facts: every consumer the plans under a directory name (the newest plan
 * naming a file wins), its connection string read from its file as it is now, and whether one of
 * those plans asks for TLS. A file that cannot be read is a limit of the audit, never a finding.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsumerTlsFacts } from '../cluster/consumer-tls-facts.js';
import { readCapped } from '../conf/read-capped.js';
import { chooseSite } from '../consumers/edit.js';
import { siteParams } from '../consumers/tls-settings.js';
import type { Plan } from '../plan/plan-types.js';

/** The consumers of the plans under `plansDir`, their TLS parameters, and what could not be read. */
export function consumerTlsFacts(plansDir: string): { facts: ConsumerTlsFacts; limits: string[] } {
  const dirs = existsSync(plansDir) ? readdirSync(plansDir).map((n) => join(plansDir, n)) : [];
  const plans: { dir: string; plan: Plan }[] = [];
  for (const dir of dirs) {
    try {
      plans.push({ dir, plan: JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan });
    } catch {
      // Not a plan directory (or a torn one): it names no consumer.
    }
  }
  plans.sort((a, b) => (a.plan.createdAt ?? '').localeCompare(b.plan.createdAt ?? ''));
  const byPath = new Map<string, Plan['consumers'][number]>();
  for (const { plan } of plans) for (const c of plan.consumers ?? []) byPath.set(`${c.path}\0${c.key ?? ''}`, c);
  const requested = plans.filter((p) => p.plan.tls && !p.plan.tls.renews).at(-1);
  const warning = plans.filter((p) => p.plan.tls?.expiryWarningDays !== undefined).at(-1);
  const limits: string[] = [];
  const consumers: ConsumerTlsFacts['consumers'] = [];
  for (const c of byPath.values()) {
    if (c.format === 'pgpass') continue; // A .pgpass line holds a password only, no libpq parameter.
    try {
      const site = chooseSite(c.path, readCapped(c.path).toString('utf8'), c.key, c.format);
      if (site.kind === 'pgpass') continue;
      const p = siteParams(site);
      consumers.push({
        name: c.name,
        path: c.path,
        line: site.line,
        sslmode: p.sslmode ?? null,
        sslrootcert: p.sslrootcert ?? null,
        channelBinding: p.channel_binding ?? null,
      });
    } catch (err) {
      limits.push(`consumer "${c.name}": cannot read its connection string in ${c.path} (${(err as Error).message})`);
    }
  }
  return {
    facts: {
      source: `the consumers of the plans under ${plansDir}`,
      requestedBy: requested?.dir ?? null,
      consumers,
      expiryWarningDays: warning?.plan.tls?.expiryWarningDays ?? null,
    },
    limits,
  };
}
