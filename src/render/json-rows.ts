/**
 * `JSON.stringify(rows, null, 2)` and a newline, byte for byte in UTF-8, written straight into
 * buffers: for `inspect hba --json` on a 100,000-line pg_hba.conf (25 MB of JSON) the string
 * JSON.stringify builds, and its encoding to UTF-8 to be written, cost more than the parse.
 * Rows are flat (strings, numbers, booleans, null and arrays of them); anything else, and any
 * string that needs escaping or is not ASCII, goes through JSON.stringify itself.
 */

const CHUNK = 1 << 20;

type Scalar = string | number | boolean | null;

const isScalar = (x: unknown): x is Scalar =>
  x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';

class JsonBytes {
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;

  constructor(private readonly write: (bytes: Uint8Array) => void) {}

  /** Room for `n` more bytes: the full buffer is handed over and a new one started. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  flush(): void {
    if (this.pos > 0) this.write(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }

  /** Text that is ASCII and needs no escaping (the caller knows). */
  ascii(s: string): void {
    this.room(s.length);
    const { buf } = this;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any text, encoded as UTF-8. */
  text(s: string): void {
    this.room(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos);
  }

  /** A JSON string literal. */
  string(s: string): void {
    this.room(s.length + 2);
    const { buf } = this;
    let p = this.pos;
    buf[p++] = 34;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      // Quote, backslash and control characters are escaped, and non-ASCII is more than a byte.
      if (c < 32 || c === 34 || c === 92 || c > 126) return this.text(JSON.stringify(s));
      buf[p++] = c;
    }
    buf[p++] = 34;
    this.pos = p;
  }

  scalar(v: Scalar): void {
    if (typeof v === 'string') this.string(v);
    else this.ascii(typeof v === 'number' && !Number.isFinite(v) ? 'null' : String(v));
  }

  /** Any other value at `indent`, as JSON.stringify prints it there. */
  other(v: unknown, indent: string): void {
    this.text((JSON.stringify(v, null, 2) ?? 'null').replaceAll('\n', `\n${indent}`));
  }
}

/** A row's property value: a scalar, or an array of them one per line at six spaces. */
function property(out: JsonBytes, v: unknown): void {
  if (isScalar(v)) return out.scalar(v);
  if (!Array.isArray(v) || !v.every(isScalar)) return out.other(v, '    ');
  if (v.length === 0) return out.ascii('[]');
  for (let i = 0; i < v.length; i++) {
    out.ascii(i === 0 ? '[\n      ' : ',\n      ');
    out.scalar(v[i] as Scalar);
  }
  out.ascii('\n    ]');
}

function row(out: JsonBytes, r: unknown): void {
  if (
    r === null ||
    typeof r !== 'object' ||
    Array.isArray(r) ||
    typeof (r as { toJSON?: unknown }).toJSON === 'function'
  )
    return out.other(r, '  ');
  let first = true;
  for (const key in r) {
    if (!Object.hasOwn(r, key)) continue;
    const v = (r as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out.ascii(first ? '{\n    ' : ',\n    ');
    first = false;
    out.string(key);
    out.ascii(': ');
    property(out, v);
  }
  out.ascii(first ? '{}' : '\n  }');
}

/** Writes `JSON.stringify(rows, null, 2)` and a newline as UTF-8, in chunks of about a megabyte. */
export function writePrettyJson(rows: readonly unknown[], write: (bytes: Uint8Array) => void): void {
  const out = new JsonBytes(write);
  if (rows.length === 0) out.ascii('[]');
  for (let i = 0; i < rows.length; i++) {
    out.ascii(i === 0 ? '[\n  ' : ',\n  ');
    row(out, rows[i]);
  }
  if (rows.length > 0) out.ascii('\n]');
  out.ascii('\n');
  out.flush();
}
