import { describe, expect, it } from 'vitest';
import { archiveCommand, parseArchiveCommand } from '../../../src/pitr/archive-command.js';

describe('archive_command written and read back', () => {
  it('round-trips a Debian stanza', () => {
    const t = { stanza: '15-main', configFile: '/etc/pgbackrest/conf.d/15-main.conf' };
    expect(archiveCommand(t)).toBe(
      'pgbackrest --config=/etc/pgbackrest/conf.d/15-main.conf --stanza=15-main archive-push %p',
    );
    expect(parseArchiveCommand(archiveCommand(t))).toEqual(t);
  });
  it('refuses names a shell would need quoted', () => {
    expect(() => archiveCommand({ stanza: 'a b', configFile: '/x' })).toThrow(/shell/);
    expect(() => archiveCommand({ stanza: 'a', configFile: '/x;rm -rf /' })).toThrow(/shell/);
  });
  it('does not claim commands it did not write', () => {
    expect(parseArchiveCommand('cp %p /archive/%f')).toBeNull();
    expect(parseArchiveCommand('pgbackrest --stanza=main archive-push %p')).toBeNull();
    expect(parseArchiveCommand('')).toBeNull();
  });
});
