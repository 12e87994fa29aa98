/**
 * Passwords for the roles pgharden creates: generated from a CSPRNG and sent to the server
 * only as SCRAM-SHA-256 verifiers computed here (RFC 5802/7677, as libpq's
 * PQencryptPasswordConn does), so no statement, log line or catalog ever holds the password.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default scram_iterations. */
export const DEFAULT_ITERATIONS = 4096;

/** A new password: 24 random bytes (192 bits), base64url, so it needs no quoting in any DSN or file. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

// RFC 3454 table C.1.2: non-ASCII spaces, mapped to a space by SASLprep.
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
// RFC 3454 table B.1: characters commonly mapped to nothing.
// biome-ignore lint/suspicious/noMisleadingCharacterClass: RFC 3454 table B.1 lists these code points one by one; each is removed alone, none combines with another here.
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
// Prohibited output (control characters, private use, surrogates, non-characters): the server then
// uses the password's bytes as they are, and so do we.
const PROHIBITED =
  /[\u0000-\u001F\u007F-\u009F\uE000-\uF8FF\uFFF9-\uFFFF\u2FF0-\u2FFB\u200E\u200F\u202A-\u202E\u206A-\u206F]/;

/**
 * The password as the server normalises it before hashing (SASLprep, RFC 4013): ASCII is
 * unchanged; otherwise spaces are mapped, ignorable characters dropped and NFKC applied. Where
 * SASLprep would reject the string, PostgreSQL (like libpq) uses the raw bytes instead.
 */
export function saslprep(password: string): Buffer {
  if (/^[\x00-\x7F]*$/.test(password)) return Buffer.from(password, 'utf8');
  const mapped = password.replace(NON_ASCII_SPACE, ' ').replace(MAPPED_TO_NOTHING, '').normalize('NFKC');
  if (mapped === '' || PROHIBITED.test(mapped)) return Buffer.from(password, 'utf8');
  return Buffer.from(mapped, 'utf8');
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, the form pg_authid stores. */
export function scramVerifier(password: string, opts: { salt?: Buffer; iterations?: number } = {}): string {
  const salt = opts.salt ?? randomBytes(16);
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  const salted = pbkdf2Sync(saslprep(password), salt, iterations, 32, 'sha256');
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** The salt and iteration count of a stored verifier, or undefined for anything else. */
export function parseVerifier(verifier: string): { iterations: number; salt: Buffer } | undefined {
  const m = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/.exec(verifier);
  return m ? { iterations: Number(m[1]), salt: Buffer.from(m[2]!, 'base64') } : undefined;
}
