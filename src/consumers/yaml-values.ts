/**
 * Keyed string values of YAML and JSON consumer files, found by the `yaml` package's parser (JSON
 * is YAML 1.2's flow style) with each scalar's source range: at any depth, in every document of a
 * stream, through merge keys. An alias is not a second value: it is named on the value it stands for.
 * JSON is also checked by JSON.parse, since YAML accepts more; `//` and `/* *\/` comments are allowed.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, parseAllDocuments, type Scalar } from 'yaml';
import { lineFinder, type Quoting, type StringValue, unparsable } from './structured-value.js';

interface Walk {
  out: StringValue[];
  byNode: Map<Scalar, StringValue>;
  lineOf: (at: number) => number;
  doc: Document;
  json: boolean;
  /** Aliased nodes being walked now: an alias inside its own anchor is not followed again. */
  active: Set<unknown>;
}

const QUOTING: Record<string, Quoting> = {
  PLAIN: 'yaml-plain',
  QUOTE_SINGLE: 'yaml-single',
  QUOTE_DOUBLE: 'yaml-double',
  BLOCK_LITERAL: 'yaml-block',
  BLOCK_FOLDED: 'yaml-block',
};

function scalar(node: Scalar, path: string[], key: string, w: Walk, via?: number): void {
  if (typeof node.value !== 'string' || !node.range) return;
  const known = w.byNode.get(node);
  if (known && via !== undefined) {
    known.aliases = [...(known.aliases ?? []), { path: path.join('.'), line: via }];
    return;
  }
  if (known) return;
  const [start, end] = node.range;
  const value: StringValue = {
    key,
    path: path.join('.'),
    line: w.lineOf(start),
    start,
    end,
    value: node.value,
    quoting: w.json ? 'json' : (QUOTING[node.type ?? 'PLAIN'] ?? 'yaml-plain'),
  };
  w.byNode.set(node, value);
  w.out.push(value);
}

function walk(node: unknown, path: string[], key: string | null, w: Walk, via?: number): void {
  if (isScalar(node)) {
    if (key !== null) scalar(node, path, key, w, via);
  } else if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === 'object') continue;
      const name = String(pair.key.value);
      if (name === '<<' && !w.json) walk(pair.value, path, key, w, via);
      else walk(pair.value, [...path, name], name, w, via);
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) walk(item, [...path, String(i)], key, w, via);
  } else if (isAlias(node)) {
    const target = node.resolve(w.doc);
    if (!target || w.active.has(target)) return;
    w.active.add(target);
    walk(target, path, key, w, via ?? w.lineOf(node.range?.[0] ?? 0));
    w.active.delete(target);
  }
}

/** Every keyed string value of a YAML (or, with `json`, JSON) text, in document order. */
export function yamlValues(text: string, file: string, json = false): StringValue[] {
  const lineOf = lineFinder(text);
  const source = json ? jsonChecked(text, file, lineOf) : text;
  const kind = json ? 'JSON' : 'YAML';
  const parsed = parseAllDocuments(source, { uniqueKeys: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  const out: StringValue[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw unparsable(file, kind, error.linePos?.[0].line ?? lineOf(error.pos[0]), firstLine(error.message));
    walk(doc.contents as Node | null, [], null, {
      out,
      byNode: new Map(),
      lineOf,
      doc,
      json,
      active: new Set(),
    });
  }
  return out.sort((a, b) => a.start - b.start);
}

const firstLine = (message: string) => message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');

/** The JSON text with its comments blanked (same offsets), after JSON.parse has accepted it. */
function jsonChecked(text: string, file: string, lineOf: (at: number) => number): string {
  const blank = blankComments(text);
  try {
    JSON.parse(blank.replace(/^\uFEFF/, ' '));
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message)?.[1];
    const line = at !== undefined ? lineOf(Number(at)) : lineOf(text.trimEnd().length);
    throw unparsable(file, 'JSON', line, message.replace(/ in JSON at position \d+.*$/, ''));
  }
  return blank;
}

/** `//` and `/* *\/` comments outside strings replaced by spaces, line breaks kept, so offsets stay. */
export function blankComments(text: string): string {
  if (!text.includes('/')) return text;
  const out = text.split('');
  let i = 0;
  const blank = (to: number) => {
    for (; i < to; i++) if (out[i] !== '\n' && out[i] !== '\r') out[i] = ' ';
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"' && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      const eol = text.indexOf('\n', i);
      blank(eol < 0 ? text.length : eol);
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      blank(close < 0 ? text.length : close + 2);
    } else i++;
  }
  return out.join('');
}
