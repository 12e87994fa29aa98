import { describe, expect, it } from 'vitest';
import { moveSettings, redactSettings } from '../../../src/conf/move-settings.js';

const FILE = '/etc/postgresql/15/main/postgresql.conf';
const TEXT = [
  'port = 5433\t\t# (change requires restart)',
  "#archive_command = ''",
  "primary_conninfo = 'host=10.0.0.9 password=Se''cret'  # the standby's",
  "include_dir = 'conf.d'",
  'Archive_Command = x',
  "archive_command = 'PGPASSWORD=p /bin/true'\r",
  '',
].join('\n');

describe('moveSettings', () => {
  it('moves every line of the named settings, in order, and leaves a comment without the value', () => {
    const r = moveSettings(TEXT, FILE, ['primary_conninfo', 'archive_command'], 'conf.d/pgharden-secrets.conf');
    expect(r.count).toBe(3);
    expect(r.kept).toBe(
      [
        'port = 5433\t\t# (change requires restart)',
        "#archive_command = ''",
        '# primary_conninfo: moved to conf.d/pgharden-secrets.conf by pgharden',
        "include_dir = 'conf.d'",
        '# Archive_Command: moved to conf.d/pgharden-secrets.conf by pgharden',
        '# archive_command: moved to conf.d/pgharden-secrets.conf by pgharden\r',
        '',
      ].join('\n'),
    );
    expect(r.kept).not.toContain('Se');
    expect(r.moved.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      "primary_conninfo = 'host=10.0.0.9 password=Se''cret'",
      "Archive_Command = 'x'",
      "archive_command = 'PGPASSWORD=p /bin/true'",
      '',
    ]);
  });

  it('keeps a file without those settings byte for byte', () => {
    expect(moveSettings(TEXT, FILE, ['restore_command'], 'x').kept).toBe(TEXT);
  });
});

describe('redactSettings', () => {
  it("replaces only the named settings' values", () => {
    const r = redactSettings(TEXT, FILE, ['primary_conninfo']);
    expect(r).toContain("primary_conninfo = '<redacted>'  # the standby's");
    expect(r).not.toContain('Se');
    expect(r).toContain("archive_command = 'PGPASSWORD=p /bin/true'");
  });
});
