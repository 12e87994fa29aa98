/**
 * What the JSON, YAML and TOML readers of consumer files hand back: each keyed string value with
 * its source range and quoting, and the error a file that its parser refuses becomes.
 */
import { InputError } from '../core/errors.js';

/** How a value is written in its file. The multi-line ones are read; only TOML's are rewritten (as one line). */
export type Quoting =
  | 'json'
  | 'yaml-plain'
  | 'yaml-single'
  | 'yaml-double'
  | 'yaml-block'
  | 'toml-basic'
  | 'toml-literal'
  | 'toml-basic-multi'
  | 'toml-literal-multi';

/** A key (with its line) whose value is an alias of another value: editing that value changes it too. */
export interface AliasRef {
  path: string;
  line: number;
}

export interface StringValue {
  /** The innermost key the value belongs to (a sequence item belongs to its sequence's key). */
  key: string;
  /** Every key from the document's root, joined with dots; sequence items by index (`servers.0.dsn`). */
  path: string;
  line: number;
  /** Offsets of the whole scalar, its quotes included. */
  start: number;
  end: number;
  /** The value as the file's parser reads it. */
  value: string;
  quoting: Quoting;
  /** YAML aliases (`*name`) that stand for this value elsewhere in the file. */
  aliases?: AliasRef[];
}

/** The 1-based line of an offset, by binary search over the line starts (one pass over the text). */
export function lineFinder(text: string): (at: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (at) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** A consumer file its own parser refuses: nothing in it can be found or edited safely. */
export function unparsable(file: string, kind: string, line: number, why: string): InputError {
  return new InputError(
    `Cannot parse "${file}" line ${line} as ${kind}: ${why}`,
    `fix line ${line} of "${file}" (or set "format" in the spec if it is not ${kind}) and run the command again`,
  );
}
