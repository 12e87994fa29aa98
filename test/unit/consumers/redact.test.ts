import { describe, expect, it } from 'vitest';
import { redactPasswords } from '../../../src/consumers/redact.js';

describe('redactPasswords: what a review may show of a consumer file', () => {
  it('removes URI, query and keyword passwords, keeps users and hosts', () => {
    const text = [
      'DATABASE_URL=postgres://app:old%40pw@db:5432/workspace',
      'OTHER=postgresql://u:p@h/d?sslmode=require&password=qq',
      "DSN=host=db user=app password='it''s' dbname=w",
      'PLAIN=host=db password=abc dbname=w',
    ].join('\n');
    const out = redactPasswords(text, '/srv/app/.env');
    expect(out).not.toMatch(/old%40pw|:p@|qq|it''s|abc/);
    expect(out).toContain('postgres://app:<redacted>@db:5432/workspace');
    expect(out).toContain('user=app');
  });
  it('removes secrets of other services named as such, in env, YAML, JSON and INI', () => {
    const env = 'REDIS_PASSWORD=r3d1s\nexport API_TOKEN="t0k"\nPGPASSWORD=pgpw\nLOG_LEVEL=info';
    expect(redactPasswords(env, 'x.env')).toBe(
      'REDIS_PASSWORD=<redacted>\nexport API_TOKEN=<redacted>\nPGPASSWORD=<redacted>\nLOG_LEVEL=info',
    );
    expect(redactPasswords('db:\n  password: hunter2\n  user: app', 'c.yaml')).toBe(
      'db:\n  password: <redacted>\n  user: app',
    );
    expect(redactPasswords('{"db": {"password": "h\\"x", "user": "app"}}', 'c.json')).toBe(
      '{"db": {"password": "<redacted>", "user": "app"}}',
    );
    expect(redactPasswords('[db]\nsecret_key = abc\nhost = db', 'c.ini')).toBe(
      '[db]\nsecret_key = <redacted>\nhost = db',
    );
  });
  it('removes the fifth field of every .pgpass line, escaped colons included', () => {
    expect(redactPasswords('# c\nh:5432:*:app:pw\\:x\nh:5432:*:ro:y', '/home/a/.pgpass')).toBe(
      '# c\nh:5432:*:app:<redacted>\nh:5432:*:ro:<redacted>',
    );
  });
});
