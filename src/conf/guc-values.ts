/**
 * A parameter's value as the server reads it from a file: booleans, numbers with units (memory,
 * time) and ranges, enums with their aliases, locales the host has; and whether the server would
 * take it (set_config_option without changing anything). Pure.
 */

/** One parameter as pg_settings describes it; `setting` is the running value in base units. */
export interface GucParam {
  name: string;
  vartype: 'bool' | 'integer' | 'real' | 'string' | 'enum';
  context: string;
  unit: string | null;
  min: string | null;
  max: string | null;
  enumvals: string[] | null;
  setting: string;
  /** Where the running value comes from (`configuration file`, `command line`, `default`, …). */
  source: string;
}

/** Parameters by lower-case name. */
export type GucCatalog = Map<string, GucParam>;

const MEMORY: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** The size of a base unit such as `8kB` or `s`, and the table its inputs come from. */
function baseUnit(unit: string): { size: number; table: Record<string, number> } | undefined {
  const m = /^(\d*)(\w+)$/.exec(unit);
  if (!m) return undefined;
  const times = m[1] ? Number(m[1]) : 1;
  if (m[2]! in MEMORY) return { size: times * MEMORY[m[2]!]!, table: MEMORY };
  if (m[2]! in TIME) return { size: times * TIME[m[2]!]!, table: TIME };
  return undefined;
}

/** C strtol with base 0 (hex, octal, decimal) after optional blanks and sign. */
function strtol(s: string): { value: number; rest: string } | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) return undefined;
  const body = m[2]!;
  const v = /^0[xX]/.test(body)
    ? Number.parseInt(body.slice(2), 16)
    : body.length > 1 && body.startsWith('0')
      ? Number.parseInt(body, 8)
      : Number(body);
  return { value: m[1] === '-' ? -v : v, rest: s.slice(m[0].length) };
}

/** C strtod for decimal numbers (and inf/nan) after optional blanks. */
function strtod(s: string): { value: number; rest: string } | undefined {
  const m = /^\s*([+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan))/i.exec(s);
  if (!m) return undefined;
  const t = m[1]!.toLowerCase().replace(/^([+-]?)inf(inity)?$/, '$1Infinity');
  return { value: Number(t), rest: s.slice(m[0].length) };
}

/** A number with an optional unit, converted to the parameter's base unit; undefined when invalid. */
function parseNumber(text: string, p: GucParam, integer: boolean): number | undefined {
  let n = strtod(text);
  if (!n) return undefined;
  if (integer) {
    const l = strtol(text);
    if (l && !/^[.eE]/.test(l.rest)) n = l;
  }
  let value = n.value;
  const rest = n.rest.trimStart();
  if (rest !== '') {
    const base = p.unit ? baseUnit(p.unit) : undefined;
    const unit = rest.trimEnd();
    if (!base || !(unit in base.table)) return undefined;
    value = (value * base.table[unit]!) / base.size;
  }
  if (integer) {
    value = Math.round(value);
    if (value > 2147483647 || value < -2147483648) return undefined;
  }
  if (Number.isNaN(value)) return undefined;
  if (p.min !== null && value < Number(p.min)) return undefined;
  if (p.max !== null && value > Number(p.max)) return undefined;
  return value;
}

/** PostgreSQL's parse_bool: on/off/true/false/yes/no/1/0 and unambiguous prefixes, any case. */
export function parseBool(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (v === '') return undefined;
  if ('true'.startsWith(v) || 'yes'.startsWith(v) || v === 'on' || v === '1') return true;
  if ('false'.startsWith(v) || 'no'.startsWith(v) || v === 'of' || v === 'off' || v === '0') return false;
  return undefined;
}

/** Hidden enum spellings the server still accepts, and what they mean. */
const ENUM_ALIASES: Record<string, Record<string, string>> = {
  wal_level: { archive: 'replica', hot_standby: 'replica' },
};

/** Facts about the server's host that some parameters' checks depend on. */
export interface HostFacts {
  /** Locales the host has (`locale -a`), for the lc_* parameters; undefined: any is taken as present. */
  locales?: string[];
}

const LOCALE_PARAMS = new Set(['lc_messages', 'lc_monetary', 'lc_numeric', 'lc_time']);

/** A locale name as setlocale compares them: the codeset part without case or dashes. */
function normLocale(name: string): string {
  const [lang, codeset] = name.split('.');
  return codeset === undefined ? name : `${lang}.${codeset.toLowerCase().replaceAll('-', '')}`;
}

/** set_config_option with changeVal=false from the file: true when the value would be accepted. */
export function accepted(p: GucParam, value: string, host: HostFacts): boolean {
  if (
    LOCALE_PARAMS.has(p.name) &&
    host.locales &&
    value !== '' &&
    !host.locales.map(normLocale).includes(normLocale(value))
  )
    return false;
  // wal_buffers = -1 asks for the automatic size, which the server has already computed.
  if (p.name === 'wal_buffers' && value.trim() === '-1') return true;
  if (p.context === 'internal') return false;
  // A backend-start parameter read by a running backend is accepted without a look at its value.
  if (p.context === 'backend' || p.context === 'superuser-backend') return true;
  let same: boolean;
  switch (p.vartype) {
    case 'bool': {
      const b = parseBool(value);
      if (b === undefined) return false;
      same = (b ? 'on' : 'off') === p.setting;
      break;
    }
    case 'integer':
    case 'real': {
      const n = parseNumber(value, p, p.vartype === 'integer');
      if (n === undefined) return false;
      const cur = Number(p.setting);
      same = p.vartype === 'integer' ? n === cur : Math.abs(n - cur) <= 1e-9 * Math.max(1, Math.abs(cur));
      break;
    }
    case 'enum': {
      let v = value.toLowerCase();
      v = ENUM_ALIASES[p.name]?.[v] ?? v;
      const bool = parseBool(v);
      // Enums with on/off also take every boolean spelling.
      if (!p.enumvals?.includes(v) && bool !== undefined && p.enumvals?.includes('on')) v = bool ? 'on' : 'off';
      if (!p.enumvals?.some((e) => e.toLowerCase() === v)) return false;
      same = v === p.setting.toLowerCase();
      break;
    }
    default:
      same = value === p.setting;
  }
  return p.context !== 'postmaster' || same;
}
