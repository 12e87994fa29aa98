import { describe, expect, it } from 'vitest';
import { chooseSite, ConsumerFileError } from '../../../src/consumers/edit.js';
import { siteHosts, siteParams, withConsumerParams } from '../../../src/consumers/tls-settings.js';

const TLS_AT = (ca: string) => ({ sslmode: 'verify-full', sslrootcert: ca, channel_binding: 'require' });
const TLS = { sslmode: 'verify-full', sslrootcert: '/srv/app/pgharden-ca.crt', channel_binding: 'require' };

describe('withConsumerParams', () => {
  it.each([
    [
      'a URI without a query (.env)',
      'app.env',
      'DATABASE_URL=postgres://app:pw@db.internal:5432/shop\nX=1\n',
      'DATABASE_URL=postgres://app:pw@db.internal:5432/shop?sslmode=verify-full&sslrootcert=/srv/app/pgharden-ca.crt&channel_binding=require\nX=1\n',
    ],
    [
      'a URI with a query, whose sslmode is replaced (YAML)',
      'app.yaml',
      'db:\n  url: "postgres://app:pw@10.8.0.1/shop?application_name=w&sslmode=prefer"\n',
      'db:\n  url: "postgres://app:pw@10.8.0.1/shop?application_name=w&sslmode=verify-full&sslrootcert=/srv/app/pgharden-ca.crt&channel_binding=require"\n',
    ],
    [
      'a keyword/value string in JSON',
      'app.json',
      '{ "dsn": "host=10.8.0.1 dbname=shop user=app password=pw" }\n',
      '{ "dsn": "host=10.8.0.1 dbname=shop user=app password=pw sslmode=verify-full sslrootcert=/srv/app/pgharden-ca.crt channel_binding=require" }\n',
    ],
    [
      'a keyword/value string in TOML, literal quoting kept',
      'app.toml',
      "dsn = 'host=db dbname=shop user=app'\n",
      "dsn = 'host=db dbname=shop user=app sslmode=verify-full sslrootcert=/srv/app/pgharden-ca.crt channel_binding=require'\n",
    ],
    [
      'a pg_service.conf section, CRLF kept',
      'pg_service.conf',
      '[shop]\r\nhost=db\r\nuser=app\r\npassword=pw\r\n[other]\r\nhost=x\r\n',
      '[shop]\r\nhost=db\r\nuser=app\r\nchannel_binding=require\r\nsslrootcert=/srv/app/pgharden-ca.crt\r\nsslmode=verify-full\r\npassword=pw\r\n[other]\r\nhost=x\r\n',
    ],
  ])('sets sslmode, sslrootcert and channel_binding in %s, every other byte kept', (_, file, before, after) => {
    const key = file === 'pg_service.conf' ? 'shop' : undefined;
    const out = withConsumerParams(file, before, key ? { key } : {}, TLS);
    expect(out).toBe(after);
    // A second run changes nothing.
    expect(withConsumerParams(file, out, key ? { key } : {}, TLS)).toBe(out);
    expect(siteParams(chooseSite(file, out, key))).toMatchObject(TLS);
  });

  it('writes the parameters in one order whatever the order of the keys (a saved plan sorts them)', () => {
    const text = 'URL=postgres://app@db/shop\n';
    const sorted = { channel_binding: 'require', sslmode: 'verify-full', sslrootcert: '/ca.crt' };
    expect(withConsumerParams('a.env', text, {}, sorted)).toBe(
      withConsumerParams('a.env', text, {}, TLS_AT('/ca.crt')),
    );
  });

  it('refuses a .pgpass, which has no place for TLS settings', () => {
    expect(() => withConsumerParams('.pgpass', 'db:5432:shop:app:pw\n', {}, TLS)).toThrow(ConsumerFileError);
  });
});

describe('siteHosts', () => {
  it.each([
    ['postgres://app@db.internal:5432,10.8.0.2:5433/shop', ['db.internal', '10.8.0.2']],
    ['postgres://app@[::1]:5432/shop', ['::1']],
    ['postgres://app@/shop?host=/var/run/postgresql', []],
    ['postgres://app@/shop?host=10.8.0.1', ['10.8.0.1']],
  ])('%s dials %j', (uri, hosts) => {
    expect(siteHosts(chooseSite('a.env', `URL=${uri}\n`))).toEqual(hosts);
  });

  it('reads a keyword string host and hostaddr', () => {
    expect(siteHosts(chooseSite('a.env', 'DSN=host=db.internal hostaddr=10.8.0.1 dbname=x user=y\n'))).toEqual([
      'db.internal',
      '10.8.0.1',
    ]);
  });
});
