/**
 * IPv6 addresses as glibc's inet_pton(AF_INET6) reads them (getaddrinfo with AI_NUMERICHOST,
 * as PostgreSQL reads pg_hba.conf): the usual hex-and-colons text in one pass, the rest (a dotted
 * IPv4 tail) by splitting.
 */

/** The value of a hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 32;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * parseIpv6 for the usual text, hex groups and colons only, in one pass: undefined when the text
 * has any other character (a dotted IPv4 tail), for parseIpv6 to read.
 */
function parseIpv6Groups(text: string): Uint8Array | null | undefined {
  const n = text.length;
  const words: number[] = [];
  let gap = -1;
  let p = 0;
  if (text.startsWith('::')) {
    gap = 0;
    p = 2;
  }
  while (p < n) {
    const start = p;
    let word = 0;
    for (let d = hexDigit(text.charCodeAt(p)); p < n && d >= 0; d = hexDigit(text.charCodeAt(++p)))
      word = word * 16 + d;
    if (p < n && text.charCodeAt(p) !== 58) return undefined;
    if (p === start || p - start > 4 || words.length === 8) return null;
    words.push(word);
    if (p === n) break;
    // A colon: a group must follow, or a second colon (the one `::`), then a group or the end.
    if (++p === n) return null;
    if (text.charCodeAt(p) === 58) {
      if (gap >= 0) return null;
      gap = words.length;
      p++;
    }
  }
  if (gap < 0 ? words.length !== 8 : words.length > 7) return null;
  const bytes = new Uint8Array(16);
  const shift = gap < 0 ? 0 : 8 - words.length;
  for (let i = 0; i < words.length; i++) {
    const at = 2 * (gap >= 0 && i >= gap ? i + shift : i);
    bytes[at] = words[i]! >> 8;
    bytes[at + 1] = words[i]! & 0xff;
  }
  return bytes;
}

/** inet_pton(AF_INET6): strict hex groups, one `::`, optional trailing dotted IPv4. */
export function parseIpv6(text: string): Uint8Array | null {
  const fast = parseIpv6Groups(text);
  if (fast !== undefined) return fast;
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(p)) return null;
        const v4 = p.split('.').map(Number);
        if (v4.some((n, j) => n > 255 || (p.split('.')[j]!.length > 1 && p.split('.')[j]!.startsWith('0'))))
          return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(Number.parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}
