/**
 * `/regex` names in pg_hba.conf (16+) and pg_ident.conf. PostgreSQL compiles them with its own
 * (Spencer ARE) engine in the C locale; pgharden parses them with the same rules (are.ts), so a
 * pattern is rejected with the server's message, and matches through an equivalent JavaScript
 * RegExp.
 */
import { RegexSyntaxError, translateRegex } from './are.js';

/** Checks the pattern after the leading `/`; undefined when it compiles, else PostgreSQL's error line. */
export function regexError(pattern: string): string | undefined {
  try {
    translateRegex(pattern);
    return undefined;
  } catch (err) {
    if (!(err instanceof RegexSyntaxError)) throw err;
    return `invalid regular expression "${pattern}": ${err.message}`;
  }
}

/** Compiles a `/regex` name for matching; null when it does not compile. */
export function compileName(pattern: string): RegExp | null {
  try {
    const { source, flags } = translateRegex(pattern);
    return new RegExp(source, flags);
  } catch {
    return null;
  }
}
