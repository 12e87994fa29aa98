/** Terminal output: colour only on a terminal, never with NO_COLOR or --no-color. */
export interface Output {
  color: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function makeOutput(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Output {
  const color =
    Boolean(process.stdout.isTTY) && env.NO_COLOR === undefined && !argv.includes('--no-color') && env.TERM !== 'dumb';
  return {
    color,
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}

const CODES = { red: 31, yellow: 33, green: 32, dim: 2, bold: 1 } as const;

/** Wraps text in an ANSI style when colour is on. */
export function paint(o: Output, style: keyof typeof CODES, text: string): string {
  return o.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/** Pads columns of a table of strings (left-aligned), two spaces apart. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
