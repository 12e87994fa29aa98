/**
 * Numeric IP addresses as PostgreSQL reads them in pg_hba.conf: through getaddrinfo with
 * AI_NUMERICHOST (glibc), which takes IPv4 in inet_aton's forms (`127.1`, `0x7f.0.0.1`, octal
 * `010.0.0.1`) and IPv6 with an optional `%zone`; and printed as getnameinfo(NI_NUMERICHOST) does.
 */
import { parseIpv6 } from './ip6.js';

/** A parsed numeric address. `bytes` has 4 (IPv4) or 16 (IPv6) entries. */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
  zone?: string;
}

/** C strtoul(text, base 0) over the whole string, or NaN when any character is left over. */
function cNumber(text: string): number {
  if (text === '') return Number.NaN;
  let digits = text;
  let base = 10;
  if (/^0[xX]/.test(text)) {
    base = 16;
    digits = text.slice(2);
    if (digits === '') return 0; // strtoul parses "0x" as 0 followed by "x": inet_aton then fails on "x"
  } else if (text.length > 1 && text.startsWith('0')) {
    base = 8;
    digits = text.slice(1);
  }
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return Number.NaN;
  return Number.parseInt(digits, base);
}

/** True for `a.b.c.d` with plain decimal bytes, which getaddrinfo accepts and getnameinfo prints unchanged. */
export function isCanonicalIpv4(text: string): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let p = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0 && text.charCodeAt(p++) !== 46) return false;
    const start = p;
    let value = 0;
    for (let d = text.charCodeAt(p) - 48; p < n && d >= 0 && d <= 9; d = text.charCodeAt(++p) - 48)
      value = value * 10 + d;
    // 0 to 255, without leading zeros (inet_aton would read them as octal).
    if (p === start || p - start > 3 || value > 255 || (p - start > 1 && text.charCodeAt(start) === 48)) return false;
  }
  return p === n;
}

/** inet_aton: one to four parts; the last fills the remaining bytes. */
function parseIpv4(text: string): Uint8Array | null {
  // The common case first: four plain decimal bytes.
  if (isCanonicalIpv4(text)) return new Uint8Array(text.split('.').map(Number));
  if (!/^[0-9a-fA-FxX.]+$/.test(text) || text.endsWith('.')) return null;
  if (/0[xX]$/.test(text) || /0[xX]\./.test(text)) return null;
  const parts = text.split('.').map(cNumber);
  if (parts.length > 4 || parts.some((p) => Number.isNaN(p))) return null;
  const last = parts.pop()!;
  if (parts.some((p) => p > 255)) return null;
  const room = 4 - parts.length;
  if (last >= 2 ** (8 * room)) return null;
  const bytes = new Uint8Array(4);
  parts.forEach((p, i) => {
    bytes[i] = p;
  });
  for (let i = 0; i < room; i++) bytes[3 - i] = Math.floor(last / 2 ** (8 * i)) & 0xff;
  return bytes;
}

/** A numeric address as getaddrinfo(AI_NUMERICHOST) accepts it, or null (PostgreSQL then takes it as a host name). */
export function parseIp(text: string, interfaces?: readonly string[]): IpAddress | null {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const pct = text.indexOf('%');
  const addr = pct < 0 ? text : text.slice(0, pct);
  const v6 = parseIpv6(addr);
  if (!v6) return null;
  if (pct < 0) return { family: 6, bytes: v6 };
  const zone = text.slice(pct + 1);
  if (zone === '' || (interfaces && !/^\d+$/.test(zone) && !interfaces.includes(zone))) return null;
  return { family: 6, bytes: v6, zone };
}

/** The netmask of a prefix length, or null when the length is out of range for the family. */
export function prefixToMask(family: 4 | 6, bits: number): Uint8Array | null {
  const size = family === 4 ? 4 : 16;
  if (!Number.isInteger(bits) || bits < 0 || bits > size * 8) return null;
  const mask = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const b = Math.min(8, Math.max(0, bits - 8 * i));
    mask[i] = b === 0 ? 0 : (0xff << (8 - b)) & 0xff;
  }
  return mask;
}

/** The prefix length written after `/` as PostgreSQL reads it (strtol, whole string), or null. */
export function parsePrefix(text: string, family: 4 | 6): Uint8Array | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  return prefixToMask(family, Number(text));
}

const maskTextCache = new Map<string, string | null>();

/** The printed netmask of a `/bits` suffix (memoised: files repeat a handful of prefixes). */
export function prefixMaskText(text: string, family: 4 | 6): string | null {
  const key = family === 4 ? text : `6/${text}`;
  let printed = maskTextCache.get(key);
  if (printed === undefined) {
    const mask = parsePrefix(text, family);
    printed = mask ? formatIp({ family, bytes: mask }) : null;
    if (maskTextCache.size < 1024) maskTextCache.set(key, printed);
  }
  return printed;
}

/** The address as PostgreSQL prints it in its views (glibc inet_ntop; the zone is not shown). */
export function formatIp(ip: IpAddress): string {
  const b = ip.bytes;
  if (ip.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const word = (i: number) => (b[2 * i]! << 8) | b[2 * i + 1]!;
  // The longest run of two or more zero groups (the first of equal runs) is written `::`.
  let base = -1;
  let len = 0;
  for (let i = 0; i < 8; ) {
    if (word(i) !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && word(j) === 0) j++;
    if (j - i > len) {
      base = i;
      len = j - i;
    }
    i = j;
  }
  if (len < 2) base = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (base >= 0 && i >= base && i < base + len) {
      if (i === base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // Embedded IPv4 (::a.b.c.d and ::ffff:a.b.c.d) is printed dotted.
    if (i === 6 && base === 0 && (len === 6 || (len === 5 && word(5) === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += word(i).toString(16);
  }
  if (base >= 0 && base + len === 8) out += ':';
  return out;
}

/** True when `addr` lies in `net`/`mask` (same family; an IPv4 rule also matches IPv4-mapped IPv6 clients). */
export function inNetwork(addr: IpAddress, net: IpAddress, mask: Uint8Array): boolean {
  let a = addr.bytes;
  let n = net.bytes;
  let m = mask;
  if (addr.family !== net.family) {
    if (!(net.family === 4 && addr.family === 6)) return false;
    // PostgreSQL promotes an IPv4 rule to ::ffff:a.b.c.d with a mask widened by 96 bits.
    n = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...net.bytes]);
    m = new Uint8Array([...new Uint8Array(12).fill(0xff), ...mask]);
    a = addr.bytes;
  }
  for (let i = 0; i < a.length; i++) if (((a[i]! ^ n[i]!) & m[i]!) !== 0) return false;
  return true;
}

/** The prefix length of a contiguous netmask (`255.255.0.0` → 16), or null for a non-contiguous one. */
export function maskPrefixLength(mask: IpAddress): number | null {
  let bits = 0;
  let ended = false;
  for (const byte of mask.bytes) {
    for (let i = 7; i >= 0; i--) {
      const set = (byte >> i) & 1;
      if (set && ended) return null;
      if (set) bits++;
      else ended = true;
    }
  }
  return bits;
}
