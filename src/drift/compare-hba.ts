/**
 * pg_hba.conf drift: rules that let a client in without SCRAM over the network (trust, password,
 * md5: always drift from a hardened state), superusers some network rule admits, and, against an
 * applied plan, every rule line added to or removed from the file the plan left.
 */
import { diffArrays } from 'diff';
import { check as superuserNetwork } from '../audit/checks/superuser-network.js';
import { loopbackOnly, networkRules, quote, where } from '../audit/rules.js';
import type { Snapshot } from '../cluster/introspect.js';
import type { DesiredState, Difference } from './drift-types.js';

const WEAK = new Set(['trust', 'password', 'md5']);
const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const RELOAD = `psql -c 'SELECT pg_reload_conf()'`;

/** The command that comments out one line of a file and reloads. */
export const commentOut = (file: string, line: number) => `sed -i '${line}s/^/# /' ${sh(file)} && ${RELOAD}`;

/** A line that holds a rule or an include (not a comment, not blank). */
const isRuleLine = (raw: string) => raw.trim() !== '' && !raw.trim().startsWith('#');

/** Network rules with a method weaker than scram-sha-256. */
function weakRules(s: Snapshot): Difference[] {
  return networkRules(s)
    .filter((r) => WEAK.has(r.rule.method) && !loopbackOnly(r.rule))
    .map((r) => ({
      kind: 'hba-rule' as const,
      object: `${r.file}:${r.line}`,
      expected: 'scram-sha-256 (or reject) for every network rule',
      actual: `${r.rule.method} from ${where(r.rule)}`,
      evidence: [quote(s, r), ...(s.hbaChangedSinceReload ? ['(the file changed after the last reload)'] : [])],
      fix: commentOut(r.file, r.line),
    }));
}

/** Superusers a network rule admits, with the rule that does. */
function superusers(s: Snapshot): Difference[] {
  return superuserNetwork.run(s).map((f) => {
    const role = /^role "(.*)" \(superuser\)$/.exec(f.evidence[0] ?? '')?.[1] ?? '?';
    const at = /^(.*):(\d+): /.exec(f.evidence[1] ?? '');
    return {
      kind: 'superuser-network' as const,
      object: `role ${role}`,
      expected: 'local socket only (reject over the network)',
      actual: `admitted from the network${at ? ` by ${at[1]}:${at[2]}` : ''}`,
      evidence: f.evidence,
      fix: at
        ? `insert "host all ${role} 0.0.0.0/0 reject" and "host all ${role} ::/0 reject" above ${at[1]}:${at[2]}, then ${RELOAD}`
        : `add reject rules for ${role} over the network to pg_hba.conf, then ${RELOAD}`,
    };
  });
}

/** Rule lines added to or removed from the file the plan left (comments and blank lines aside). */
function againstPlan(desired: NonNullable<DesiredState['hba']>, text: string, replan: string): Difference[] {
  const out: Difference[] = [];
  const split = (t: string) => t.replace(/\r?\n$/, '').split(/\r?\n/);
  let line = 1;
  for (const part of diffArrays(split(desired.content), split(text))) {
    if (part.added) {
      part.value.forEach((raw, i) => {
        if (isRuleLine(raw))
          out.push({
            kind: 'hba-rule',
            object: `${desired.path}:${line + i}`,
            expected: 'absent (not in the pg_hba.conf the plan left)',
            actual: raw.trim(),
            evidence: [`${desired.path}:${line + i}: ${raw.trim()}`],
            fix: commentOut(desired.path, line + i),
          });
      });
      line += part.count ?? part.value.length;
    } else if (part.removed) {
      for (const raw of part.value.filter(isRuleLine))
        out.push({
          kind: 'hba-rule',
          object: `${desired.path}:${line}`,
          expected: raw.trim(),
          actual: 'absent',
          evidence: [`${desired.path}: the plan's line "${raw.trim()}" is missing (before line ${line})`],
          fix: `put the line back before line ${line} of ${desired.path} and ${RELOAD}, or ${replan}`,
        });
    } else line += part.count ?? part.value.length;
  }
  return out;
}

/** Every pg_hba.conf difference, one per file:line (a weak rule the plan did not write is named once). */
export function hbaDifferences(s: Snapshot, desired: DesiredState, hbaText: string | null): Difference[] {
  const weak = weakRules(s);
  const seen = new Set(weak.map((d) => d.object));
  const planned = desired.hba && hbaText !== null ? againstPlan(desired.hba, hbaText, desired.replan) : [];
  return [...weak, ...planned.filter((d) => !seen.has(d.object)), ...superusers(s)];
}
