/**
 * Judges one tokenized pg_hba.conf record as PostgreSQL's parse_hba_line does: connection
 * type, database, user, address (+ netmask), method, then `name=value` options. The first
 * problem found is the line's error, with PostgreSQL's message.
 */
import type { ServerContext } from './context.js';
import type { LexToken } from './hba-lexer.js';
import { SILENT, applyOption, checkMandatoryOptions, type OptionState } from './hba-options.js';
import type { AuthMethod, HbaAddress, HbaConnType, HbaRule } from './hba-types.js';
import { formatIp, isCanonicalIpv4, parseIp, prefixMaskText } from './ip.js';
import { regexError } from './regex.js';

const NO_OPTIONS: HbaRule['options'] = Object.freeze([]) as unknown as HbaRule['options'];

export type RecordResult =
  | { rule: HbaRule }
  | { error: string; offset?: number; rule?: HbaRule; viewError?: string | null };

// Each name maps to itself: a rule keeps this module's string, not a copy per line.
const CONN_TYPES = new Map<string, HbaConnType>(
  (['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc'] as const).map((t) => [t, t]),
);
const METHODS = new Map<string, AuthMethod>(
  (
    [
      'trust',
      'ident',
      'peer',
      'password',
      'gss',
      'sspi',
      'reject',
      'md5',
      'scram-sha-256',
      'pam',
      'bsd',
      'ldap',
      'radius',
      'cert',
      'oauth',
    ] as const
  ).map((m) => [m, m]),
);

/** A build feature a method needs; methods not listed are always available. */
function unsupported(method: AuthMethod, ctx: ServerContext): boolean {
  const b = ctx.build;
  switch (method) {
    case 'gss':
      return !b.gssapi;
    case 'sspi':
      return !b.sspi;
    case 'pam':
      return !b.pam;
    case 'bsd':
      return !b.bsd;
    case 'ldap':
      return !b.ldap;
    case 'cert':
      return !b.ssl;
    default:
      return false;
  }
}

/**
 * `/regex` names exist from 16 — quoted or not: the server compiles every name that starts with
 * a slash. A pattern that does not compile is reported as the server would; compiled names are
 * marked `regex` for the matcher.
 */
function checkRegex(tokens: LexToken[], ctx: ServerContext): RecordResult | undefined {
  if (ctx.major < 16) return undefined;
  for (const t of tokens) {
    if (!t.value.startsWith('/')) continue;
    (t as LexToken & { regex?: boolean }).regex = true;
    const error = regexError(t.value.slice(1));
    if (error) return { error, offset: t.offset };
  }
  return undefined;
}

function parseAddress(
  fields: LexToken[][],
  i: number,
  ctx: ServerContext,
): { address: HbaAddress; next: number } | { error: string; offset?: number } {
  const field = fields[i];
  if (!field) return { error: 'end-of-line before IP address specification' };
  const tok = field[0]!;
  if (field.length > 1) return { error: 'multiple values specified for host address', offset: field[1]!.offset };
  if (!tok.quoted && (tok.value === 'all' || tok.value === 'samehost' || tok.value === 'samenet')) {
    return { address: { kind: tok.value }, next: i + 1 };
  }
  const slash = tok.value.indexOf('/');
  const host = slash < 0 ? tok.value : tok.value.slice(0, slash);
  let printed: string;
  let family: 4 | 6;
  // The common case: canonical dotted IPv4 prints as written.
  if (isCanonicalIpv4(host)) {
    printed = host;
    family = 4;
  } else {
    const ip = parseIp(host, ctx.interfaces);
    // getaddrinfo(AI_NUMERICHOST) said "not a number": PostgreSQL takes it as a host name.
    if (!ip && slash >= 0)
      return { error: `specifying both host name and CIDR mask is invalid: "${tok.value}"`, offset: tok.offset };
    if (!ip) return { address: { kind: 'hostname', name: host }, next: i + 1 };
    printed = formatIp(ip);
    family = ip.family;
  }
  if (slash >= 0) {
    const mask = prefixMaskText(tok.value.slice(slash + 1), family);
    if (mask === null) return { error: `invalid CIDR mask in address "${tok.value}"`, offset: tok.offset };
    return { address: { kind: 'cidr', address: printed, mask, family }, next: i + 1 };
  }
  const maskField = fields[i + 1];
  if (!maskField) return { error: 'end-of-line before netmask specification' };
  if (maskField.length > 1) return { error: 'multiple values specified for netmask', offset: maskField[1]!.offset };
  const maskTok = maskField[0]!;
  if (family === 4 && isCanonicalIpv4(maskTok.value)) {
    return { address: { kind: 'cidr', address: printed, mask: maskTok.value, family }, next: i + 2 };
  }
  const mask = parseIp(maskTok.value, ctx.interfaces);
  if (!mask) return { error: `invalid IP mask "${maskTok.value}": Name or service not known`, offset: maskTok.offset };
  if (mask.family !== family) return { error: 'IP address and mask do not match', offset: maskTok.offset };
  return { address: { kind: 'cidr', address: printed, mask: formatIp(mask), family }, next: i + 2 };
}

/**
 * The message hba.c records for a connection type this server can never match, then parses on:
 * it stays the line's error in pg_hba_file_rules unless a later error replaces it, and it is the
 * error the view shows when the line later fails only in the log (a RADIUS name that does not resolve).
 */
export function typeWarning(type: string, ctx: ServerContext): string | undefined {
  if (type === 'hostssl' && !ctx.build.ssl)
    return 'hostssl record cannot match because SSL is not supported by this build';
  if (type === 'hostssl' && !ctx.ssl) return 'hostssl record cannot match because SSL is disabled';
  if (type === 'hostgssenc' && !ctx.build.gssapi)
    return 'hostgssenc record cannot match because GSSAPI is not supported by this build';
  return undefined;
}

/** Parses the fields of one record (at least one field). */
export function parseRecord(fields: LexToken[][], ctx: ServerContext): RecordResult {
  const typeField = fields[0]!;
  if (typeField.length > 1)
    return { error: 'multiple values specified for connection type', offset: typeField[1]!.offset };
  const typeTok = typeField[0]!;
  const type = CONN_TYPES.get(typeTok.value);
  if (type === undefined) return { error: `invalid connection type "${typeTok.value}"`, offset: typeTok.offset };
  // These are flagged but the rule is still parsed (and a later error replaces the message).
  const warning = typeWarning(type, ctx);

  // Each name field is compiled as soon as it is read, before the next field is looked for.
  const databases = fields[1];
  if (!databases) return { error: 'end-of-line before database specification' };
  const dbRegexError = checkRegex(databases, ctx);
  if (dbRegexError) return dbRegexError;
  const users = fields[2];
  if (!users) return { error: 'end-of-line before role specification' };
  const userRegexError = checkRegex(users, ctx);
  if (userRegexError) return userRegexError;

  let next = 3;
  let address: HbaAddress | undefined;
  if (type !== 'local') {
    const a = parseAddress(fields, 3, ctx);
    if ('error' in a) return a;
    address = a.address;
    next = a.next;
  }

  const methodField = fields[next];
  if (!methodField) return { error: 'end-of-line before authentication method' };
  if (methodField.length > 1)
    return { error: 'multiple values specified for authentication type', offset: methodField[1]!.offset };
  const methodTok = methodField[0]!;
  const name = methodTok.value;
  let method = METHODS.get(name);
  if (method === undefined || (method === 'oauth' && ctx.major < 18)) {
    return { error: `invalid authentication method "${name}"`, offset: methodTok.offset };
  }
  // ident on the local socket has meant peer since 9.1.
  if (type === 'local' && method === 'ident') method = 'peer';
  if (unsupported(method, ctx))
    return { error: `invalid authentication method "${name}": not supported by this build`, offset: methodTok.offset };
  if (type === 'local' && method === 'gss')
    return { error: 'gssapi authentication is not supported on local sockets', offset: methodTok.offset };
  if (type !== 'local' && method === 'peer')
    return { error: 'peer authentication is only supported on local sockets', offset: methodTok.offset };
  if (type !== 'hostssl' && method === 'cert')
    return { error: 'cert authentication is only supported on hostssl connections', offset: methodTok.offset };

  // Most rules have no options: share one empty list rather than allocate one per line.
  const options: HbaRule['options'] = fields.length > next + 1 ? [] : NO_OPTIONS;
  const state: OptionState | undefined =
    fields.length > next + 1 || method === 'ldap' || method === 'radius' || method === 'oauth'
      ? { type, method, ctx, values: new Map() }
      : undefined;
  for (let f = next + 1; f < fields.length; f++) {
    for (const tok of fields[f]!) {
      const eq = tok.value.indexOf('=');
      if (eq < 0) return { error: `authentication option not in name=value format: ${tok.value}`, offset: tok.offset };
      const opt = { name: tok.value.slice(0, eq), value: tok.value.slice(eq + 1) };
      const err = applyOption(state!, opt.name, opt.value);
      if (err?.startsWith(SILENT)) return { error: err.slice(1), offset: tok.offset, viewError: warning ?? null };
      if (err) return { error: err, offset: tok.offset };
      options.push(opt);
    }
  }
  const missing = state && checkMandatoryOptions(state);
  if (missing) return { error: missing };

  // Lexer tokens are HbaTokens with an offset; kept as they are to spare an allocation per name.
  // One literal per shape: adding `address` afterwards would allocate a property store per rule.
  const rule: HbaRule = address
    ? { type, databases, users, method, options, address }
    : { type, databases, users, method, options };
  return warning ? { error: warning, rule } : { rule };
}
