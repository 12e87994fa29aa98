/**
 * A list of directories as the server reads one (`unix_socket_directories`): comma-separated
 * elements, spaces around each ignored, an element in double quotes taken as it is (`""` is one
 * quote). The server's own value is shown that way: `SHOW unix_socket_directories` after
 * `ALTER SYSTEM` gives `"/tmp/Pg-Dir"` for a path with capitals, so the first element must be read,
 * not split on commas. Returns undefined for a list the server would refuse (an unclosed quote, an
 * empty element).
 */
export function splitDirectories(value: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const space = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (space(value[i])) i++;
  if (i === value.length) return out;
  for (;;) {
    let element = '';
    if (value[i] === '"') {
      for (i++; ; i++) {
        if (i >= value.length) return undefined;
        if (value[i] === '"') {
          if (value[i + 1] !== '"') break;
          i++;
        }
        element += value[i];
      }
      i++;
    } else {
      while (i < value.length && value[i] !== ',') element += value[i++];
      element = element.trimEnd();
    }
    while (space(value[i])) i++;
    if (element === '') return undefined;
    out.push(element.length > 1 ? element.replace(/\/+$/, '') : element);
    if (i >= value.length) return out;
    if (value[i] !== ',') return undefined;
    i++;
    while (space(value[i])) i++;
  }
}

/** The first directory of such a list (where the server puts its first socket), if any. */
export function firstDirectory(value: string | undefined | null): string | undefined {
  return value === undefined || value === null ? undefined : splitDirectories(value)?.[0];
}
