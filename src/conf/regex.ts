/**
 * `/regex` names in pg_hba.conf (16+) and pg_ident.conf. PostgreSQL compiles them with its own
 * (Spencer ARE) engine; pgharden compiles them with JavaScript's, which agrees on the common
 * syntax, and reports a pattern that does not compile with PostgreSQL's wording for the error.
 */

/** JavaScript's complaint → PostgreSQL's regerror() text for the same mistake. */
const MESSAGES: [RegExp, string][] = [
  [/Unterminated group|Unmatched '\)'/, 'parentheses () not balanced'],
  [/Unterminated character class|Unmatched '\['/, 'brackets [] not balanced'],
  [/Nothing to repeat/, 'quantifier operand invalid'],
  [/Incomplete quantifier|Lone quantifier brackets|Unmatched '\{'/, 'braces {} not balanced'],
  [/numbers out of order/, 'invalid repetition count(s)'],
  [/Range out of order/, 'invalid character range'],
  [/\\ at end of pattern|Invalid escape|Invalid (?:unicode|decimal) escape/, 'invalid escape \\ sequence'],
  [/Invalid property name|Invalid class/, 'invalid character class'],
];

/** Compiles the pattern after the leading `/`; undefined when it compiles, else PostgreSQL's error line. */
export function regexError(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (err) {
    const text = (err as Error).message;
    const pg = MESSAGES.find(([re]) => re.test(text))?.[1] ?? text;
    return `invalid regular expression "${pattern}": ${pg}`;
  }
}

/** Compiles a `/regex` name for matching; null when it does not compile. */
export function compileName(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return null;
  }
}
