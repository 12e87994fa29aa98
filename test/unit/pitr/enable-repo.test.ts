import { describe, expect, it } from 'vitest';
import { chooseRepos } from '../../../src/pitr/enable-repo.js';

const KEYS = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG' };
const S3 = { s3Endpoint: 'minio.internal:9000', s3Region: 'us-east-1', s3UriStyle: 'path' };

/** The input error's message, or 'accepted'. */
const refusal = (f: Parameters<typeof chooseRepos>[0], env: NodeJS.ProcessEnv = KEYS) => {
  try {
    chooseRepos(f, env);
    return 'accepted';
  } catch (err) {
    expect((err as { exitCode: number }).exitCode).toBe(2);
    return (err as Error).message;
  }
};

describe("pitr enable's repositories", () => {
  it('takes an s3 repository with its endpoint split into host and port, and a local one beside it', () => {
    expect(chooseRepos({ repos: ['/var/lib/pgbackrest', 's3://backups/pg/15-main/'], ...S3 }, KEYS)).toEqual({
      local: '/var/lib/pgbackrest',
      s3: {
        bucket: 'backups',
        path: '/pg/15-main',
        endpoint: 'minio.internal',
        port: 9000,
        region: 'us-east-1',
        uriStyle: 'path',
      },
      keys: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' },
    });
  });
  it('names each missing key by its variable, never echoing a value', () => {
    const m = refusal({ repos: ['s3://backups/pg'], ...S3 }, { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' });
    expect(m).toContain('AWS_SECRET_ACCESS_KEY is not set');
    expect(m).not.toContain('AWS_ACCESS_KEY_ID is not set');
    expect(m).not.toContain('AKIAEXAMPLE');
  });
  it('refuses a bad endpoint, a missing region, an unknown URI style and s3 flags without an s3 repository', () => {
    expect(refusal({ repos: ['s3://backups/pg'], ...S3, s3Endpoint: 'https://x:1' })).toContain(
      '--s3-endpoint "https://x:1" is not HOST[:PORT]',
    );
    expect(refusal({ repos: ['s3://backups/pg'], ...S3, s3Endpoint: 'x:70000' })).toContain('is not HOST[:PORT]');
    expect(refusal({ repos: ['s3://backups/pg'], s3Endpoint: 'x' })).toContain('--s3-region is missing');
    expect(refusal({ repos: ['s3://backups/pg'], ...S3, s3UriStyle: 'virtual' })).toContain('neither host nor path');
    expect(refusal({ repos: ['/var/lib/pgbackrest'], s3Region: 'x' })).toContain('apply only to an --repo s3://');
    expect(refusal({ repos: ['s3://Bad_Bucket/pg'], ...S3 })).toContain('is not s3://BUCKET/PATH');
    expect(refusal({ repos: ['s3://a1/x', 's3://b1/y'], ...S3 })).toContain('give one object store');
    expect(chooseRepos({ repos: ['/a', '/b'] }).local).toBe('/b');
  });
});
