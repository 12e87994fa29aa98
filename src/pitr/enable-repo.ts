/**
 * `pitr enable`'s repositories: `--repo` once or twice, each a local directory or an object store
 * (`s3://BUCKET/PATH`, with --s3-endpoint, --s3-region, --s3-uri-style, --s3-ca-file and the keys
 * from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). The object store is always repo1, a local
 * directory beside it repo2. Every problem is one input error (exit 2), before connecting.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import type { PitrS3Repo } from '../plan/plan-types.js';
import { pathProblems } from './enable-paths.js';

/** The flags and environment `pitr enable` reads for its repositories. */
export interface RepoFlags {
  repos: string[];
  s3Endpoint?: string | undefined;
  s3Region?: string | undefined;
  s3UriStyle?: string | undefined;
  s3CaFile?: string | undefined;
}

/** The S3 keys, read from the environment at enable time; they go only into pgBackRest's file. */
export interface S3Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What the repositories are: a local directory, an object store, or both. */
export interface RepoChoice {
  local?: string;
  s3?: Omit<PitrS3Repo, 'secretsFile'>;
  keys?: S3Keys;
}

const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/[A-Za-z0-9_./@+-]*)?$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
/** The next step of an object-store input error. */
export const S3_NEXT =
  'e.g. AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… pgharden pitr enable --repo s3://BUCKET/PATH --s3-endpoint s3.eu-central-1.amazonaws.com --s3-region eu-central-1 (see pgharden pitr enable --help)';

/** The repositories, or an input error naming every flag or variable that is wrong or missing. */
export function chooseRepos(f: RepoFlags, env: NodeJS.ProcessEnv = process.env): RepoChoice {
  const { choice, problems } = repoChoice(f, env);
  refuseRepos(problems);
  return choice;
}

/** Throws the input error (exit 2) for the repositories' problems, with the object store's example as the next step. */
export function refuseRepos(problems: string[]): void {
  if (problems.length)
    throw new InputError(
      `pitr enable cannot use ${problems.length === 1 ? 'this value' : 'these values'} (nothing was changed):\n  - ${problems.join('\n  - ')}`,
      S3_NEXT,
    );
}

/** The repositories and every problem with them (an input error's lines); an s3 problem is one naming an --s3 flag, an s3:// --repo or a key. */
export function repoChoice(
  f: RepoFlags,
  env: NodeJS.ProcessEnv = process.env,
): { choice: RepoChoice; problems: string[] } {
  const problems: string[] = [];
  const s3Urls = f.repos.filter((r) => r.startsWith('s3:'));
  // A local directory given twice: the last one, as every repeated flag of the CLI.
  const local = f.repos.filter((r) => !r.startsWith('s3:')).at(-1);
  if (s3Urls.length > 1) problems.push(`--repo s3://… given ${s3Urls.length} times: give one object store (repo1)`);
  if (local !== undefined) problems.push(...pathProblems('--repo', local));
  const out: RepoChoice = local !== undefined ? { local } : {};
  const s3Flags = (['s3Endpoint', 's3Region', 's3UriStyle', 's3CaFile'] as const).filter((k) => f[k] !== undefined);
  if (!s3Urls.length) {
    if (s3Flags.length)
      problems.push(
        `${s3Flags.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} apply only to an --repo s3://BUCKET/PATH`,
      );
  } else {
    const url = s3Urls[0]!;
    const m = S3_URL.exec(url);
    if (!m)
      problems.push(
        `--repo ${JSON.stringify(url)} is not s3://BUCKET/PATH (a bucket name of lower-case letters, digits, "." and "-"; a path of letters, digits and ._-/@+)`,
      );
    const path = m?.[2] && m[2] !== '/' ? m[2].replace(/\/+$/, '') : '/';
    if (m && path.split('/').includes('..')) problems.push(`--repo ${url} has a ".." in its path`);
    const [host, port] = (f.s3Endpoint ?? '').split(/:(?=[^:]*$)/);
    if (f.s3Endpoint === undefined)
      problems.push("--s3-endpoint is missing: an s3:// repository needs the object store's host (HOST[:PORT])");
    else if (!HOST.test(host ?? '') || (port !== undefined && !(/^\d+$/.test(port) && +port >= 1 && +port <= 65535)))
      problems.push(
        `--s3-endpoint ${JSON.stringify(f.s3Endpoint)} is not HOST[:PORT] (a host name or address, a port from 1 to 65535)`,
      );
    if (f.s3Region === undefined)
      problems.push('--s3-region is missing (e.g. us-east-1; any name for a server that ignores it)');
    else if (!/^[a-z0-9-]+$/.test(f.s3Region))
      problems.push(`--s3-region ${JSON.stringify(f.s3Region)} is not a region name`);
    const style = f.s3UriStyle ?? 'host';
    if (style !== 'host' && style !== 'path')
      problems.push(`--s3-uri-style ${JSON.stringify(style)} is neither host nor path`);
    if (f.s3CaFile !== undefined) {
      const bad = pathProblems('--s3-ca-file', f.s3CaFile);
      problems.push(...bad);
      if (!bad.length)
        try {
          if (!statSync(f.s3CaFile).isFile()) throw new Error('not a file');
          accessSync(f.s3CaFile, constants.R_OK);
        } catch {
          problems.push(`--s3-ca-file ${f.s3CaFile} is not a readable file`);
        }
    }
    const id = env.AWS_ACCESS_KEY_ID ?? '';
    const secret = env.AWS_SECRET_ACCESS_KEY ?? '';
    // Names only: a key's value is never echoed, not even a wrong one.
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', id],
      ['AWS_SECRET_ACCESS_KEY', secret],
    ] as const)
      if (!value)
        problems.push(`${name} is not set in the environment: pitr enable reads the object store's keys from it`);
      else if (/[\s\x00-\x1f\x7f]/.test(value)) problems.push(`${name} holds a space or a control character`);
    if (m)
      out.s3 = {
        bucket: m[1]!,
        path,
        endpoint: host!,
        port: port === undefined ? 443 : Number(port),
        region: f.s3Region ?? '',
        uriStyle: style as 'host' | 'path',
        ...(f.s3CaFile !== undefined ? { caFile: f.s3CaFile } : {}),
      };
    out.keys = { accessKeyId: id, secretAccessKey: secret };
  }
  return { choice: out, problems };
}

/** The s3:// address of a repository, as the review and the runbook name it. */
export const s3Url = (s: Pick<PitrS3Repo, 'bucket' | 'path'>) => `s3://${s.bucket}${s.path === '/' ? '' : s.path}`;
