import { describe, expect, it } from 'vitest';
import { firstDirectory, splitDirectories } from '../../../src/conf/guc-list.js';

describe('splitDirectories (unix_socket_directories as the server reads it)', () => {
  it('reads plain and double-quoted elements, spaces around them ignored', () => {
    expect(splitDirectories('/var/run/postgresql, /tmp')).toEqual(['/var/run/postgresql', '/tmp']);
    expect(splitDirectories('"/tmp/pgharden-pg15-WlzEeM"')).toEqual(['/tmp/pgharden-pg15-WlzEeM']);
    expect(splitDirectories(' "/a,b" , "/say ""hi""/" ')).toEqual(['/a,b', '/say "hi"']);
    expect(splitDirectories('/tmp/')).toEqual(['/tmp']);
    expect(splitDirectories('')).toEqual([]);
  });
  it('refuses what the server refuses: an unclosed quote, an empty element', () => {
    expect(splitDirectories('"/tmp')).toBeUndefined();
    expect(splitDirectories('/tmp,,/run')).toBeUndefined();
    expect(splitDirectories('"/a" x')).toBeUndefined();
  });
  it('gives the first directory', () => {
    expect(firstDirectory('"/tmp/Pg", /run')).toBe('/tmp/Pg');
    expect(firstDirectory(undefined)).toBeUndefined();
  });
});
