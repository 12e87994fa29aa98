import { describe, expect, it } from 'vitest';
import { adoptArchiveCommand, targetArgs } from '../../../src/pitr/archive-command.js';

describe('a hand-written pgBackRest archive_command, adopted read-only', () => {
  it('reads the stanza and configuration in either option form, with or without a path to pgbackrest', () => {
    expect(adoptArchiveCommand('pgbackrest --stanza=main archive-push %p')).toEqual({
      stanza: 'main',
      configFile: '/etc/pgbackrest/pgbackrest.conf',
      defaultConfig: true,
      adopted: true,
    });
    expect(adoptArchiveCommand('/usr/bin/pgbackrest --stanza demo --config /srv/pgbr.conf archive-push %p')).toEqual({
      stanza: 'demo',
      configFile: '/srv/pgbr.conf',
      adopted: true,
    });
  });
  it('passes no --config where the command named none, so pgBackRest reads its own defaults as archive-push does', () => {
    expect(targetArgs(adoptArchiveCommand('pgbackrest --stanza=main archive-push %p')!)).toEqual(['--stanza=main']);
    expect(targetArgs({ stanza: 'a', configFile: '/c.conf' })).toEqual(['--config=/c.conf', '--stanza=a']);
  });
  it('keeps pgharden’s own command as its own (not adopted)', () => {
    const ours = 'pgbackrest --config=/etc/pgbackrest/conf.d/15-main.conf --stanza=15-main archive-push %p';
    expect(adoptArchiveCommand(ours)).toEqual({ stanza: '15-main', configFile: '/etc/pgbackrest/conf.d/15-main.conf' });
  });
  it('claims nothing else: other programs, other options, no stanza, no %p, shell syntax', () => {
    for (const c of [
      'cp %p /archive/%f',
      'pgbackrest archive-push %p',
      'pgbackrest --stanza=main --repo1-path=/elsewhere archive-push %p',
      'pgbackrest --stanza=main archive-push',
      'pgbackrest --stanza=main archive-push %p && touch /tmp/x',
      'pgbackrest --stanza="a b" archive-push %p',
      'pgbackrest --stanza=a --stanza=b archive-push %p',
      '',
    ])
      expect(adoptArchiveCommand(c), c).toBeNull();
  });
});
