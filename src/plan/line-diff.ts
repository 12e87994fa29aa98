/**
 * A unified diff in linear time for pgharden's own edits of pg_hba.conf. Those edits keep every
 * line in order and only insert lines or replace one line with one or more, so walking both
 * texts once, looking ahead through an index of where each line occurs next, finds them exactly;
 * a generic shortest-edit diff (Myers) is quadratic in the number of changed lines and took
 * minutes on files of tens of thousands of rules. Any input still gives a correct diff (applying
 * it turns `before` into `after`), if not always the shortest one.
 */

type Op = { kind: ' ' | '-' | '+'; text: string };

// Past this distance a line that reappears is taken as replaced, not as the end of a long insertion or deletion.
const LOOKAHEAD = 1000;

// A last line without a newline keeps a "\n" of its own (no line can hold one), so it never
// equals the same text with a newline, and prints with diff's "No newline" marker.
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  else lines[lines.length - 1] += '\n';
  return lines;
}

/** For each line, where it occurs next at or after a position that only moves forward. */
function nextIndex(lines: string[]): (line: string, from: number) => number {
  const at = new Map<string, number[]>();
  lines.forEach((l, i) => {
    const list = at.get(l);
    if (list) list.push(i);
    else at.set(l, [i]);
  });
  const cursor = new Map<string, number>();
  return (line, from) => {
    const list = at.get(line);
    if (!list) return Infinity;
    let k = cursor.get(line) ?? 0;
    while (k < list.length && list[k]! < from) k += 1;
    cursor.set(line, k);
    return k < list.length ? list[k]! : Infinity;
  };
}

function editScript(a: string[], b: string[]): Op[] {
  const inB = nextIndex(b);
  const inA = nextIndex(a);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', text: a[i++]! });
      j += 1;
      continue;
    }
    const kb = inB(a[i]!, j) - j;
    const ka = inA(b[j]!, i) - i;
    if (kb <= LOOKAHEAD && kb <= ka) {
      while (kb > 0 && j < b.length && b[j] !== a[i]) ops.push({ kind: '+', text: b[j++]! });
    } else if (ka <= LOOKAHEAD) {
      while (i < a.length && a[i] !== b[j]) ops.push({ kind: '-', text: a[i++]! });
    } else {
      ops.push({ kind: '-', text: a[i++]! }, { kind: '+', text: b[j++]! });
    }
  }
  while (i < a.length) ops.push({ kind: '-', text: a[i++]! });
  while (j < b.length) ops.push({ kind: '+', text: b[j++]! });
  return ops;
}

// Unified diff quirk: an empty side names the line before it.
const range = (start: number, count: number) => `${count === 0 ? start - 1 : start},${count}`;

/** The unified diff of `before` → `after` with 3 lines of context, headed like `diff`'s createTwoFilesPatch. */
export function unifiedEditDiff(
  path: string,
  before: string,
  after: string,
  beforeLabel: string,
  afterLabel: string,
): string {
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = editScript(a, b);
  const out = [`Index: ${path}`, '='.repeat(67), `--- ${path}\t${beforeLabel}`, `+++ ${path}\t${afterLabel}`];
  const context = 3;
  // Old and new line numbers (1-based) of each op.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 1;
  let n = 1;
  for (const op of ops) {
    oldAt.push(o);
    newAt.push(n);
    if (op.kind !== '+') o += 1;
    if (op.kind !== '-') n += 1;
  }
  const print = (op: Op) =>
    op.text.endsWith('\n')
      ? [`${op.kind}${op.text.slice(0, -1)}`, '\\ No newline at end of file']
      : [`${op.kind}${op.text}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k += 1;
      continue;
    }
    let start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while the next change is within two contexts of the last one.
    for (let m = k; m < ops.length; m++) {
      if (ops[m]!.kind !== ' ') end = m;
      else if (m - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const body = ops.slice(start, stop);
    const oldCount = body.filter((x) => x.kind !== '+').length;
    const newCount = body.filter((x) => x.kind !== '-').length;
    out.push(`@@ -${range(oldAt[start]!, oldCount)} +${range(newAt[start]!, newCount)} @@`);
    for (; start < stop; start++) for (const l of print(ops[start]!)) out.push(l);
    k = stop;
  }
  return `${out.join('\n')}\n`;
}
