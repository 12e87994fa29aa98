/**
 * Keyed string values of TOML consumer files, found by a TOML 1.0 parser (toml-eslint-parser)
 * with each value's source range: dotted keys, tables, arrays of tables, inline tables and arrays,
 * basic, literal and multi-line strings, every escape (`\UXXXXXXXX` too) read as TOML reads it.
 */
import { type AST, ParseError, parseTOML } from 'toml-eslint-parser';
import { lineFinder, type Quoting, type StringValue, unparsable } from './structured-value.js';

type Key = (string | number)[];

const keyOf = (k: AST.TOMLKey): string[] => k.keys.map((p) => (p.type === 'TOMLBare' ? p.name : p.value));

function quoting(v: AST.TOMLStringValue): Quoting {
  if (v.style === 'basic') return v.multiline ? 'toml-basic-multi' : 'toml-basic';
  return v.multiline ? 'toml-literal-multi' : 'toml-literal';
}

function content(
  node: AST.TOMLContentNode,
  path: Key,
  key: string,
  out: StringValue[],
  lineOf: (at: number) => number,
) {
  if (node.type === 'TOMLValue') {
    if (node.kind !== 'string') return;
    const [start, end] = node.range;
    out.push({ key, path: path.join('.'), line: lineOf(start), start, end, value: node.value, quoting: quoting(node) });
  } else if (node.type === 'TOMLArray') {
    for (const [i, e] of node.elements.entries()) content(e, [...path, i], key, out, lineOf);
  } else {
    for (const kv of node.body) pair(kv, path, out, lineOf);
  }
}

function pair(kv: AST.TOMLKeyValue, table: Key, out: StringValue[], lineOf: (at: number) => number) {
  const names = keyOf(kv.key);
  content(kv.value, [...table, ...names], names.at(-1)!, out, lineOf);
}

/** Every keyed string value of a TOML text, in file order. */
export function tomlValues(text: string, file: string): StringValue[] {
  const lineOf = lineFinder(text);
  let program: AST.TOMLProgram;
  try {
    // TOML has no byte order mark; a space in its place keeps every offset.
    program = parseTOML(text.replace(/^\uFEFF/, ' '));
  } catch (e) {
    if (e instanceof ParseError) throw unparsable(file, 'TOML', e.lineNumber, e.message);
    throw e;
  }
  const out: StringValue[] = [];
  for (const node of program.body[0].body) {
    if (node.type === 'TOMLKeyValue') pair(node, [], out, lineOf);
    else for (const kv of node.body) pair(kv, node.resolvedKey, out, lineOf);
  }
  return out.sort((a, b) => a.start - b.start);
}
