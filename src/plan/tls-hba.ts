/**
 * pg_hba.conf with TLS required over TCP: every `host` rule that lets someone in becomes
 * `hostssl` (its alignment kept), and above the first of them a `hostnossl … reject` for each
 * trusted range and each address those rules name, so that a plain connection is refused by a
 * rule that says why rather than by "no pg_hba.conf entry". `reject` rules stay as they are.
 * Every other line is kept byte for byte; a file that already requires TLS comes back unchanged.
 */
import { lexFields } from '../conf/hba-lexer.js';
import type { HbaLine } from '../conf/hba-types.js';

const NOTE = '# pgharden:';

const eolOf = (raw: string) => (raw.endsWith('\r\n') ? '\r\n' : raw.endsWith('\n') ? '\n' : '');

/** The ADDRESS column as written (CIDR, host name, keyword), with a separate NETMASK folded in. */
function addressOf(raw: string): string | null {
  const fields = lexFields(raw.split(/\r?\n/)[0]!).map((f) => f.map((t) => t.value).join(','));
  const a = fields[3];
  if (!a) return null;
  if (!a.includes('/') && /^[\d.]+$|:/.test(a) && fields[4] && /^[\d.:a-f]+$/i.test(fields[4]))
    return `${a} ${fields[4]}`;
  return a;
}

/** `host` → `hostssl`, taking the three characters from the gap after it when there are enough. */
function toHostssl(raw: string): string {
  const eol = eolOf(raw);
  const text = raw
    .slice(0, raw.length - eol.length)
    .replace(
      /^(\s*)host(\s+)/,
      (_, lead: string, gap: string) => `${lead}hostssl${gap.length > 3 ? gap.slice(3) : ' '}`,
    );
  return (
    `${text.replace(/\s+$/, '')}  ${text.includes('#') ? '' : `${NOTE} was host; TLS required`}`.trimEnd() +
    (eol || '\n')
  );
}

/** The file's text with TLS required for the rules that admit connections over TCP. */
export function requireTls(
  lines: readonly HbaLine[],
  trustedRanges: readonly string[],
): { text: string; changed: number } {
  const eol = lines.map((l) => eolOf(l.raw)).find(Boolean) ?? '\n';
  const converted = new Set<number>();
  const addresses: string[] = [...trustedRanges];
  lines.forEach((l, i) => {
    if (l.kind !== 'record' || l.rule.type !== 'host' || l.rule.method === 'reject') return;
    converted.add(i);
    const a = addressOf(l.raw);
    if (a) addresses.push(a);
  });
  const present = new Set(
    lines.flatMap((l) =>
      l.kind === 'record' && l.rule.type === 'hostnossl' && l.rule.method === 'reject' ? [addressOf(l.raw)] : [],
    ),
  );
  const wanted = [...new Set(addresses)].filter((a) => !present.has(a));
  const rejects = wanted.map(
    (a) => `hostnossl all             all             ${a.padEnd(23)} reject  ${NOTE} plain TCP refused${eol}`,
  );
  const first = converted.size ? Math.min(...converted) : lines.length;
  const out: string[] = [];
  lines.forEach((l, i) => {
    if (i === first) out.push(...rejects);
    out.push(converted.has(i) ? toHostssl(l.raw) : l.raw);
  });
  if (first === lines.length) out.push(...rejects);
  return { text: out.join(''), changed: converted.size + rejects.length };
}
