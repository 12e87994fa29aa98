/**
 * The hardened pg_hba.conf as an edit of the parsed file, not a rewrite: comments, order and
 * layout stay; every changed or added line carries a `# pgharden:` note saying what it was.
 *
 * - network rules with trust, password or md5 become scram-sha-256;
 * - network rules wider than the spec's trusted ranges are narrowed to the trusted ranges they
 *   contain (one line each), or disabled (commented out) when they contain none;
 * - `local` trust becomes scram-sha-256, with `local all <admin> peer` and `local replication
 *   <admin> peer` kept first so the server's OS user keeps its way in, for SQL and for
 *   pg_basebackup, pgBackRest and Barman (`all` never matches a replication connection);
 * - superusers get a network `reject` above every other network rule.
 * Pure: lines in, text and a change list out.
 */
import type { HbaLine, RecordLine } from '../conf/hba-types.js';
import { lexFields, logicalLines } from '../conf/hba-lexer.js';
import { hbaName } from './canary.js';
import { inNetwork, maskPrefixLength, parseIp, prefixToMask } from '../conf/ip.js';

export interface HardenOptions {
  /** Superuser role names: rejected over the network. */
  superusers: string[];
  /** Ranges consumers connect from (CIDR). */
  trustedRanges: string[];
  /** The database role the server's OS user logs in as over the local socket with peer. */
  adminRole: string;
}

export interface HbaChange {
  /** Line in the original file (for added lines, the line they were added before). */
  line: number;
  kind: 'method' | 'narrowed' | 'disabled' | 'added';
  before: string;
  after: string;
}

const WEAK = new Set(['trust', 'password', 'md5']);
const NOTE = '# pgharden:';

function eolOf(raw: string): string {
  return raw.endsWith('\r\n') ? '\r\n' : raw.endsWith('\n') ? '\n' : '';
}

function body(raw: string): string {
  return raw.slice(0, raw.length - eolOf(raw).length);
}

/** Replaces the token at `index` (field, token 0) of a single-line record, keeping every other byte. */
function replaceField(raw: string, field: number, value: string): string {
  const text = body(raw);
  const fields = lexFields(text);
  const tok = fields[field]?.[0];
  if (!tok) return raw;
  // The token's extent in the text: up to the next blank, comma or comment.
  const end = text.slice(tok.offset).search(/[\s,#]|$/) + tok.offset;
  return text.slice(0, tok.offset) + value + text.slice(end) + eolOf(raw);
}

function withNote(raw: string, note: string): string {
  return `${body(raw).replace(/\s+$/, '')}  ${NOTE} ${note}${eolOf(raw) || '\n'}`;
}

/** Field index of the address and method for a record (local has no address). */
function fieldIndexes(rec: RecordLine): { address?: number; method: number } {
  const fields = lexFields(logicalLines(rec.raw)[0]!.text);
  if (rec.rule.type === 'local') return { method: 3 };
  const a = rec.rule.address;
  const separateMask = a?.kind === 'cidr' && !fields[3]?.[0]?.value.includes('/');
  return { address: 3, method: separateMask ? 5 : 4 };
}

function parseRange(cidr: string) {
  const [addr, bits] = cidr.split('/');
  const ip = parseIp(addr!)!;
  return { ip, mask: prefixToMask(ip.family, Number(bits))!, text: cidr };
}

/** The hardened file text and what changed. */
export function hardenHba(lines: readonly HbaLine[], opts: HardenOptions): { text: string; changes: HbaChange[] } {
  const trusted = opts.trustedRanges.map(parseRange);
  const changes: HbaChange[] = [];
  const out: string[] = [];
  const eol = lines.map((l) => eolOf(l.raw)).find(Boolean) ?? '\n';
  let addedPeer = false;
  // An earlier plan's reject lines are kept while they name every superuser, else rewritten.
  const REJECT_NOTE = `${NOTE} superusers are local-only`;
  const earlierReject = (l: HbaLine): boolean =>
    l.kind === 'record' && l.rule.method === 'reject' && l.raw.includes(REJECT_NOTE);
  let addedReject = lines.some(earlierReject);
  const rejectLine = (users: string[], range: string) =>
    `host    all             ${users.map(hbaName).join(',').padEnd(15)} ${range.padEnd(23)} reject  ${REJECT_NOTE}${eol}`;
  const adminPeer = (database: 'all' | 'replication') =>
    lines.some(
      (l) =>
        l.kind === 'record' &&
        l.rule.type === 'local' &&
        l.rule.method === 'peer' &&
        l.rule.users.some((u) => !u.quoted && (u.value === opts.adminRole || u.value === 'all')) &&
        l.rule.databases.some((d) => d.value === database && !d.quoted),
    );
  const hasAdminPeer = adminPeer('all');
  // A replication path to keep: some local rule names `replication` for the admin or for all.
  const hasReplicationPath = lines.some(
    (l) =>
      l.kind === 'record' &&
      l.rule.type === 'local' &&
      l.rule.databases.some((d) => d.value === 'replication' && !d.quoted) &&
      l.rule.users.some((u) => !u.quoted && (u.value === 'all' || u.value === opts.adminRole)),
  );
  const hasReplicationPeer = !hasReplicationPath || adminPeer('replication');

  for (const l of lines) {
    if (l.kind !== 'record') {
      out.push(l.raw);
      continue;
    }
    const rule = l.rule;
    const singleLine = logicalLines(l.raw).length === 1 && !body(l.raw).includes('\n');
    if (rule.type === 'local') {
      if (!addedPeer) {
        const peers = [
          ...(hasAdminPeer
            ? []
            : [
                `local   all             ${hbaName(opts.adminRole)}                                peer  ${NOTE} the server's OS user keeps its way in${eol}`,
              ]),
          ...(hasReplicationPeer
            ? []
            : [
                `local   replication     ${hbaName(opts.adminRole)}                                peer  ${NOTE} and its backups and replicas (pg_basebackup)${eol}`,
              ]),
        ];
        for (const peer of peers) {
          out.push(peer);
          changes.push({ line: l.line, kind: 'added', before: '', after: body(peer) });
        }
        addedPeer = true;
      }
      if (rule.method === 'trust' && singleLine) {
        const after = withNote(replaceField(l.raw, fieldIndexes(l).method, 'scram-sha-256'), `was ${rule.method}`);
        changes.push({ line: l.line, kind: 'method', before: body(l.raw), after: body(after) });
        out.push(after);
      } else {
        out.push(l.raw);
      }
      continue;
    }
    if (earlierReject(l)) {
      const named = new Set(rule.users.map((u) => u.value));
      const missing = opts.superusers.filter((u) => !named.has(u));
      const range = rule.address?.kind === 'cidr' && rule.address.address.includes(':') ? '::/0' : '0.0.0.0/0';
      if (!missing.length) out.push(l.raw);
      else {
        const users = [...rule.users.map((u) => u.value), ...missing];
        const line = rejectLine(users, range);
        changes.push({ line: l.line, kind: 'method', before: body(l.raw), after: body(line) });
        out.push(line);
      }
      continue;
    }
    if (!addedReject && opts.superusers.length) {
      for (const range of ['0.0.0.0/0', '::/0']) {
        const line = rejectLine(opts.superusers, range);
        out.push(line);
        changes.push({ line: l.line, kind: 'added', before: '', after: body(line) });
      }
      addedReject = true;
    }
    if (rule.method === 'reject' || !singleLine) {
      out.push(l.raw);
      continue;
    }
    const idx = fieldIndexes(l);
    let raw = l.raw;
    const notes: string[] = [];
    if (WEAK.has(rule.method)) {
      raw = replaceField(raw, idx.method, 'scram-sha-256');
      notes.push(`was ${rule.method}`);
    }
    const a = rule.address;
    const loopback =
      a?.kind === 'cidr' &&
      (a.address === '127.0.0.1' || a.address === '::1') &&
      (a.mask === '255.255.255.255' || a.mask === 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    if (a && (a.kind === 'all' || a.kind === 'cidr') && !loopback) {
      const net = a.kind === 'all' ? null : { ip: parseIp(a.address)!, mask: parseIp(a.mask)!.bytes };
      const inside = trusted.filter(
        (t) =>
          net === null ||
          (t.ip.family === net.ip.family &&
            inNetwork(t.ip, net.ip, net.mask) &&
            t.mask.every((b, k) => (b & net.mask[k]!) === net.mask[k])),
      );
      const within =
        net !== null &&
        trusted.some(
          (t) =>
            t.ip.family === net.ip.family &&
            inNetwork(net.ip, t.ip, t.mask) &&
            net.mask.every((b, k) => (b & t.mask[k]!) === t.mask[k]),
        );
      if (!within) {
        const bits = a.kind === 'all' ? null : maskPrefixLength(parseIp(a.mask)!);
        const was = a.kind === 'all' ? 'all' : bits === null ? `${a.address} ${a.mask}` : `${a.address}/${bits}`;
        if (inside.length === 0) {
          const after = `# ${body(l.raw)}  ${NOTE} disabled, outside the trusted ranges${eolOf(l.raw) || eol}`;
          changes.push({ line: l.line, kind: 'disabled', before: body(l.raw), after: body(after) });
          out.push(after);
          continue;
        }
        // A separate netmask field goes with the address: write the range in CIDR form instead.
        for (const t of inside) {
          let line = replaceField(raw, idx.address!, t.text);
          if (idx.method === 5) line = replaceField(line, 4, '');
          const after = withNote(line, [`narrowed from ${was}`, ...notes].join(', '));
          changes.push({ line: l.line, kind: 'narrowed', before: body(l.raw), after: body(after) });
          out.push(after);
        }
        continue;
      }
    }
    if (notes.length) {
      const after = withNote(raw, notes.join(', '));
      changes.push({ line: l.line, kind: 'method', before: body(l.raw), after: body(after) });
      out.push(after);
    } else {
      out.push(l.raw);
    }
  }
  return { text: out.join(''), changes };
}
