import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentFiles, serviceOfFile } from '../../../src/guide/systemd.js';

describe('the systemd service of a consumer file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgharden-units-'));
  writeFileSync(
    join(dir, 'agents.service'),
    '[Service]\nEnvironmentFile=-/srv/agents/agents.env\nExecStart=/srv/agents/run\n',
  );
  writeFileSync(
    join(dir, 'web.service'),
    '[Service]\nEnvironmentFile=/etc/default/web /srv/web/db.env\nExecStart=/srv/web/run\nExecReload=/bin/kill -HUP $MAINPID\n',
  );
  writeFileSync(join(dir, 'web.timer'), '[Timer]\nEnvironmentFile=/srv/report.env\n');

  it('reads every EnvironmentFile= path, optional ones included', () => {
    expect(environmentFiles('EnvironmentFile=-/a.env\n EnvironmentFile = /b.env /c.env\n')).toEqual([
      '/a.env',
      '/b.env',
      '/c.env',
    ]);
  });

  it.each([
    ['/srv/agents/agents.env', ['systemctl', 'restart', 'agents.service']],
    ['/srv/web/db.env', ['systemctl', 'reload', 'web.service']],
  ])('%s: restart when the unit cannot reload, reload when it can', (file, reload) => {
    expect(serviceOfFile(file, [join(dir, 'absent'), dir])).toEqual({
      unit: reload[2],
      reload,
      health: ['systemctl', 'is-active', '--quiet', reload[2]],
    });
  });

  it('finds nothing for a file no service reads (timers are not services)', () => {
    expect(serviceOfFile('/srv/report.env', [dir])).toBeNull();
  });
});
