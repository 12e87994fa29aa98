/**
 * pg_hba.conf `name=value` options: which method each belongs to, the values PostgreSQL
 * accepts, the options a method cannot do without, and how `pg_hba_file_rules` prints them.
 */
import type { ServerContext } from './context.js';
import type { AuthMethod, HbaConnType, HbaRule } from './hba-types.js';

/** What the options of one record have set so far (later options overwrite earlier ones). */
export interface OptionState {
  type: HbaConnType;
  method: AuthMethod;
  ctx: ServerContext;
  values: Map<string, string>;
}

const LDAP_OPTIONS = new Set([
  'ldaptls',
  'ldapscheme',
  'ldapserver',
  'ldapport',
  'ldapbinddn',
  'ldapbindpasswd',
  'ldapsearchattribute',
  'ldapsearchfilter',
  'ldapbasedn',
  'ldapprefix',
  'ldapsuffix',
  'ldapurl',
]);
const RADIUS_LISTS: Record<string, string> = {
  radiusservers: 'server',
  radiussecrets: 'secret',
  radiusidentifiers: 'identifiers',
  radiusports: 'port',
};

/**
 * Marks a message PostgreSQL only writes to its log: the line is rejected, but the view's
 * `error` column stays as it was (null, or an earlier warning such as the hostssl one).
 */
export const SILENT = '\u0000';

const onlyFor = (name: string, methods: string) =>
  `authentication option "${name}" is only valid for authentication methods ${methods}`;

/** Splits a comma list as SplitGUCList does (blanks trimmed, double quotes allowed); null when malformed. */
function splitList(text: string): string[] | null {
  const out: string[] = [];
  let rest = text.trimStart();
  if (rest === '') return out;
  for (;;) {
    let item: string;
    if (rest.startsWith('"')) {
      const m = /^"((?:[^"]|"")*)"/.exec(rest);
      if (!m) return null;
      item = m[1]!.replaceAll('""', '"');
      rest = rest.slice(m[0].length).trimStart();
    } else {
      const m = /^[^,\s]*/.exec(rest)!;
      item = m[0];
      if (item === '') return null;
      rest = rest.slice(item.length).trimStart();
    }
    out.push(item);
    if (rest === '') return out;
    if (!rest.startsWith(',')) return null;
    rest = rest.slice(1).trimStart();
  }
}

/** Applies one option; returns PostgreSQL's error message when the server would reject it. */
export function applyOption(s: OptionState, name: string, value: string): string | undefined {
  const m = s.method;
  if (name === 'map') {
    const allowed: AuthMethod[] = [
      'ident',
      'peer',
      'gss',
      'sspi',
      'cert',
      ...(s.ctx.major >= 18 ? (['oauth'] as const) : []),
    ];
    if (!allowed.includes(m))
      return onlyFor(
        'map',
        s.ctx.major >= 18 ? 'ident, peer, gssapi, sspi, cert, and oauth' : 'ident, peer, gssapi, sspi, and cert',
      );
  } else if (name === 'clientcert') {
    if (s.type !== 'hostssl') return 'clientcert can only be configured for "hostssl" rows';
    if (value === 'verify-ca') {
      // Seen on 15 and 18 alike (generated tests); older wording "clientcert only accepts" is pre-14.
      if (m === 'cert') return 'clientcert can only be set to "verify-full" when using "cert" authentication';
    } else if (value !== 'verify-full') {
      return `${SILENT}invalid value for clientcert: "${value}"`;
    }
  } else if (name === 'clientname') {
    if (s.type !== 'hostssl') return 'clientname can only be configured for "hostssl" rows';
    if (value !== 'CN' && value !== 'DN') return `${SILENT}invalid value for clientname: "${value}"`;
  } else if (name === 'pamservice' || name === 'pam_use_hostname') {
    if (m !== 'pam') return onlyFor(name, 'pam');
  } else if (LDAP_OPTIONS.has(name)) {
    if (m !== 'ldap') return onlyFor(name, 'ldap');
    // An unknown ldapscheme is only logged by the server; the line stays valid.
    if (name === 'ldapport' && atoi(value) === 0) return `invalid LDAP port number: "${value}"`;
    if (name === 'ldapurl') return applyLdapUrl(s, value);
  } else if (name === 'krb_realm' || name === 'include_realm') {
    if (m !== 'gss' && m !== 'sspi') return onlyFor(name, 'gssapi and sspi');
  } else if (name === 'compat_realm' || name === 'upn_username') {
    if (m !== 'sspi') return onlyFor(name, 'sspi');
  } else if (name in RADIUS_LISTS) {
    if (m !== 'radius') return onlyFor(name, 'radius');
    const items = splitList(value);
    if (!items) return `could not parse RADIUS ${RADIUS_LISTS[name]} list "${value}"`;
    if (name === 'radiusports') {
      const bad = items.find((p) => atoi(p) === 0);
      if (bad !== undefined) return `${SILENT}invalid RADIUS port number: "${value}"`;
    }
  } else if (
    s.ctx.major >= 18 &&
    (name === 'issuer' || name === 'scope' || name === 'validator' || name === 'delegate_ident_mapping')
  ) {
    if (m !== 'oauth') return onlyFor(name, 'oauth');
  } else {
    return `unrecognized authentication option name: "${name}"`;
  }
  s.values.set(name, value);
  return undefined;
}

/** C atoi: leading blanks, optional sign, digits; 0 when none. */
function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

/** An `ldap[s]://host:port/basedn?attribute?scope?filter` URL, as OpenLDAP splits it. */
function applyLdapUrl(s: OptionState, url: string): string | undefined {
  const m = /^(ldaps?):\/\/([^/:?]*)(?::(\d+))?(?:\/([^?]*)(?:\?([^?]*)(?:\?([^?]*)(?:\?([^?]*))?)?)?)?$/.exec(url);
  if (!m) {
    const scheme = /^([a-z]+):\/\//i.exec(url)?.[1];
    // PostgreSQL 15 hands any URL to OpenLDAP first, whose refusal it reports with this odd text.
    if (scheme && scheme !== 'ldap' && scheme !== 'ldaps') {
      return s.ctx.major <= 15
        ? `could not parse LDAP URL "${url}": Time limit exceeded`
        : `unsupported LDAP URL scheme: ${scheme}`;
    }
    return `could not parse LDAP URL "${url}": Bad parameter to an ldap routine`;
  }
  s.values.set('ldapscheme', m[1]!);
  if (m[2]) s.values.set('ldapserver', decodeURIComponent(m[2]));
  s.values.set('ldapport', m[3] ?? (m[1] === 'ldaps' ? '636' : '389'));
  if (m[4]) s.values.set('ldapbasedn', decodeURIComponent(m[4]));
  if (m[5]) s.values.set('ldapsearchattribute', m[5].split(',')[0]!);
  const scope = { base: '0', one: '1', sub: '2' }[m[6] ?? ''];
  if (scope) s.values.set('ldapscope', scope);
  if (m[7]) s.values.set('ldapsearchfilter', decodeURIComponent(m[7]));
  return undefined;
}

/** The options a method cannot do without, checked after all options are read. */
export function checkMandatoryOptions(s: OptionState): string | undefined {
  const v = s.values;
  if (s.method === 'ldap') {
    if (v.has('ldapprefix') || v.has('ldapsuffix')) {
      if (
        ['ldapbasedn', 'ldapbinddn', 'ldapbindpasswd', 'ldapsearchattribute', 'ldapsearchfilter', 'ldapurl'].some((k) =>
          v.has(k),
        )
      ) {
        return 'cannot use ldapbasedn, ldapbinddn, ldapbindpasswd, ldapsearchattribute, ldapsearchfilter, or ldapurl together with ldapprefix';
      }
    } else if (!v.has('ldapbasedn')) {
      return 'authentication method "ldap" requires argument "ldapbasedn", "ldapprefix", or "ldapsuffix" to be set';
    }
    if (v.has('ldapsearchattribute') && v.has('ldapsearchfilter'))
      return 'cannot use ldapsearchattribute together with ldapsearchfilter';
  }
  if (s.method === 'radius') {
    if (!v.has('radiusservers')) return 'authentication method "radius" requires argument "radiusservers" to be set';
    const count = (k: string) => (v.has(k) ? splitList(v.get(k)!)!.length : 0);
    const servers = count('radiusservers');
    if (servers < 1) return 'list of RADIUS servers cannot be empty';
    if (!v.has('radiussecrets')) return 'authentication method "radius" requires argument "radiussecrets" to be set';
    if (count('radiussecrets') < 1) return 'list of RADIUS secrets cannot be empty';
    for (const [k, what] of [
      ['radiussecrets', 'secrets'],
      ['radiusports', 'ports'],
      ['radiusidentifiers', 'identifiers'],
    ] as const) {
      const n = count(k);
      if (!(n === 0 && k !== 'radiussecrets') && n !== 1 && n !== servers) {
        return `the number of RADIUS ${what} (${n}) must be 1 or the same as the number of RADIUS servers (${servers})`;
      }
    }
  }
  if (s.method === 'oauth') {
    if (!v.has('scope')) return 'authentication method "oauth" requires argument "scope" to be set';
    if (!v.has('issuer')) return 'authentication method "oauth" requires argument "issuer" to be set';
    if (s.ctx.oauthValidatorLibraries.length === 0)
      return 'oauth_validator_libraries must be set for authentication method oauth';
  }
  return undefined;
}

/** The `options` column of pg_hba_file_rules for a valid rule: PostgreSQL's order and spelling, null when none. */
export function viewOptions(rule: HbaRule, ctx: ServerContext): string[] | null {
  const s: OptionState = { type: rule.type, method: rule.method, ctx, values: new Map() };
  for (const o of rule.options) applyOption(s, o.name, o.value);
  const v = s.values;
  const out: string[] = [];
  if (rule.method === 'gss' || rule.method === 'sspi') {
    if ((v.get('include_realm') ?? '1') === '1') out.push('include_realm=true');
    if (v.has('krb_realm')) out.push(`krb_realm=${v.get('krb_realm')}`);
  }
  if (v.has('map')) out.push(`map=${v.get('map')}`);
  const clientcert = rule.method === 'cert' ? 'verify-full' : v.get('clientcert');
  if (clientcert) out.push(`clientcert=${clientcert}`);
  if (v.has('pamservice')) out.push(`pamservice=${v.get('pamservice')}`);
  if (rule.method === 'ldap') {
    if (v.has('ldapserver')) out.push(`ldapserver=${v.get('ldapserver')}`);
    if (v.has('ldapport')) out.push(`ldapport=${atoi(v.get('ldapport')!)}`);
    if (v.has('ldapscheme')) out.push(`ldapscheme=${v.get('ldapscheme')}`);
    if (v.get('ldaptls') === '1') out.push('ldaptls=true');
    for (const k of [
      'ldapprefix',
      'ldapsuffix',
      'ldapbasedn',
      'ldapbinddn',
      'ldapbindpasswd',
      'ldapsearchattribute',
      'ldapsearchfilter',
    ]) {
      if (v.has(k)) out.push(`${k}=${v.get(k)}`);
    }
    if (rule.options.length > 0) out.push(`ldapscope=${v.get('ldapscope') ?? '2'}`);
  }
  if (rule.method === 'radius') {
    for (const k of ['radiusservers', 'radiussecrets', 'radiusidentifiers', 'radiusports'])
      if (v.has(k)) out.push(`${k}=${v.get(k)}`);
  }
  if (rule.method === 'oauth') {
    for (const k of ['issuer', 'scope', 'validator']) if (v.has(k)) out.push(`${k}=${v.get(k)}`);
    if (v.get('delegate_ident_mapping') === '1') out.push('delegate_ident_mapping=true');
  }
  // A copy the size of its contents: the row keeps it.
  return out.length ? out.slice() : null;
}
