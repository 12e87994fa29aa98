/**
 * `JSON.stringify(rows, null, 2)`, byte for byte, as chunks of `CHUNK_ROWS` rows to write one
 * after the other: a 100,000-line pg_hba.conf gives 25 MB of JSON, which as one string (and one
 * buffer to write) doubles the peak memory, and the garbage collector's work, of `inspect hba`.
 */

const CHUNK_ROWS = 4096;

/**
 * The text of `JSON.stringify(rows, null, 2)`, yielded in chunks to write in order; every chunk
 * but the last ends with a newline.
 */
export function* prettyJsonChunks(rows: readonly unknown[]): Generator<string> {
  if (rows.length <= CHUNK_ROWS) {
    yield JSON.stringify(rows, null, 2);
    return;
  }
  // The elements of an array print the same in any slice of it: `[\n  <row>,\n  <row>\n]`.
  for (let i = 0; i < rows.length; i += CHUNK_ROWS) {
    const text = JSON.stringify(rows.slice(i, i + CHUNK_ROWS), null, 2);
    const first = i === 0;
    const last = i + CHUNK_ROWS >= rows.length;
    yield `${first ? '[\n' : ''}${text.slice(2, last ? text.length : -2)}${last ? '' : ',\n'}`;
  }
}
