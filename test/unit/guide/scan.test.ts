import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanDirs } from '../../../src/consumers/discover.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgharden-scan-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('consumers --scan', () => {
  it('finds keyword/value DSNs in JSON, YAML and TOML, passwords redacted', () => {
    writeFileSync(
      join(dir, 'app.json'),
      '{"connectionString": "host=/var/run/postgresql user=postgres dbname=app password=s3cret"}\n',
    );
    writeFileSync(join(dir, 'app.yaml'), "db:\n  dsn: 'host=db user=rep dbname=reports'\n");
    writeFileSync(join(dir, 'app.toml'), '[database]\ndsn = "host=db user=etl dbname=dw"\n');
    const found = scanDirs([dir]).map((f) => [
      f.file.slice(dir.length + 1),
      f.key,
      f.kind,
      f.user,
      f.database,
      f.shown,
    ]);
    expect(found).toEqual([
      [
        'app.json',
        'connectionString',
        'keyword',
        'postgres',
        'app',
        'host=/var/run/postgresql user=postgres dbname=app password=<redacted>',
      ],
      ['app.toml', 'dsn', 'keyword', 'etl', 'dw', 'host=db user=etl dbname=dw'],
      ['app.yaml', 'dsn', 'keyword', 'rep', 'reports', 'host=db user=rep dbname=reports'],
    ]);
  });
});
