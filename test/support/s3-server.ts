/**
 * A test-only S3-compatible server on 127.0.0.1 over TLS, with exactly the calls pgBackRest 2.45
 * makes against a path-style bucket: HEAD/GET/PUT/DELETE of an object, ListObjectsV2 (prefix,
 * delimiter), multi-object delete, and multipart upload. Every request's AWS Signature V4 is
 * verified against the one key pair it knows (a wrong secret is refused with 403), so a passing
 * test proves pgBackRest signed with the keys pgharden wrote. Objects are files in one directory
 * (key URI-encoded into the name), so a test can grep what the bucket holds. It answers from the
 * test's own event loop: drive pgharden with pghardenAsync while it runs, never a blocking spawn.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running server: its endpoint, CA file, keys and the objects it holds. */
export interface S3Server {
  /** `127.0.0.1:PORT`, the name in the certificate. */
  endpoint: string;
  bucket: string;
  region: string;
  caFile: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Every stored object's key and bytes. */
  objects(): { key: string; body: Buffer }[];
  /** Requests refused for a bad signature so far. */
  refused: number;
  stop(): Promise<void>;
}

const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hmac = (k: Buffer | string, s: string) => createHmac('sha256', k).update(s).digest();
const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Checks the request's SigV4 Authorization header; returns why not, or null. */
function badSignature(req: IncomingMessage, body: Buffer, url: URL, id: string, secret: string): string | null {
  const auth = req.headers.authorization ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return `no SigV4 authorization: ${auth}`;
  const [, key, day, region, signed, signature] = m;
  if (key !== id) return `unknown access key ${key}`;
  const payload = String(req.headers['x-amz-content-sha256'] ?? '');
  if (payload !== 'UNSIGNED-PAYLOAD' && payload !== sha(body)) return 'x-amz-content-sha256 does not match the body';
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [enc(k), enc(v)])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]! < b[1]! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signed!.split(';');
  const headers = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim()}\n`).join('');
  const canonical = [req.method, url.pathname, query, headers, signed, payload].join('\n');
  const stamp = String(req.headers['x-amz-date'] ?? '');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, sha(canonical)].join('\n');
  const k = hmac(hmac(hmac(hmac(`AWS4${secret}`, day!), region!), 's3'), 'aws4_request');
  return createHmac('sha256', k).update(toSign).digest('hex') === signature ? null : 'signature mismatch';
}

/** Starts the server with a fresh self-signed certificate for 127.0.0.1 and localhost, and one empty bucket. */
export async function startS3Server(bucket = 'pgharden-test'): Promise<S3Server> {
  const root = mkdtempSync(join(tmpdir(), 'pgharden-s3-'));
  // pgBackRest runs as the server's OS user and reads the CA file.
  chmodSync(root, 0o755);
  const store = join(root, 'objects');
  mkdirSync(store, { mode: 0o700 });
  const caFile = join(root, 'ca.crt');
  const keyFile = join(root, 'server.key');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', caFile],
    ],
    { stdio: 'ignore' },
  );
  chmodSync(caFile, 0o644);
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  const region = 'us-east-1';
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  const file = (key: string) => join(store, enc(key));
  const keys = () => readdirSync(store).map(decodeURIComponent).sort();
  const state = { refused: 0 };

  const reply = (res: ServerResponse, code: number, xml?: string, headers: Record<string, string> = {}) => {
    const body = xml === undefined ? '' : `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
    res.writeHead(code, {
      ...(xml === undefined ? {} : { 'content-type': 'application/xml' }),
      'content-length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  };
  const error = (res: ServerResponse, code: number, what: string, message: string) =>
    reply(res, code, `<Error><Code>${what}</Code><Message>${xmlEsc(message)}</Message></Error>`);

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const bad = badSignature(req, body, url, accessKeyId, secretAccessKey);
    if (bad) {
      state.refused++;
      return error(res, 403, 'SignatureDoesNotMatch', bad);
    }
    const path = decodeURIComponent(url.pathname);
    if (path !== `/${bucket}` && !path.startsWith(`/${bucket}/`)) return error(res, 404, 'NoSuchBucket', path);
    const key = path.slice(bucket.length + 2);
    const q = url.searchParams;
    if (!key) {
      if (req.method === 'GET' && q.get('list-type') === '2') {
        const prefix = q.get('prefix') ?? '';
        const delimiter = q.get('delimiter');
        const contents: string[] = [];
        const common = new Set<string>();
        for (const k of keys().filter((k) => k.startsWith(prefix))) {
          const rest = k.slice(prefix.length);
          const at = delimiter ? rest.indexOf(delimiter) : -1;
          if (at >= 0) common.add(prefix + rest.slice(0, at + 1));
          else {
            const st = statSync(file(k));
            contents.push(
              `<Contents><Key>${xmlEsc(k)}</Key><LastModified>${st.mtime.toISOString()}</LastModified><Size>${st.size}</Size></Contents>`,
            );
          }
        }
        const prefixes = [...common].map((p) => `<CommonPrefixes><Prefix>${xmlEsc(p)}</Prefix></CommonPrefixes>`);
        return reply(
          res,
          200,
          `<ListBucketResult><Name>${bucket}</Name><Prefix>${xmlEsc(prefix)}</Prefix><IsTruncated>false</IsTruncated>${contents.join('')}${prefixes.join('')}</ListBucketResult>`,
        );
      }
      if (req.method === 'POST' && q.has('delete')) {
        const gone = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) =>
          m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
        );
        for (const k of gone) rmSync(file(k), { force: true });
        return reply(
          res,
          200,
          `<DeleteResult>${gone.map((k) => `<Deleted><Key>${xmlEsc(k)}</Key></Deleted>`).join('')}</DeleteResult>`,
        );
      }
      return error(res, 501, 'NotImplemented', `${req.method} ${req.url}`);
    }
    if (req.method === 'POST' && q.has('uploads')) {
      const id = randomBytes(12).toString('hex');
      uploads.set(id, { key, parts: new Map() });
      return reply(
        res,
        200,
        `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${xmlEsc(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    const upload = q.get('uploadId');
    if (upload !== null) {
      const u = uploads.get(upload);
      if (!u) return error(res, 404, 'NoSuchUpload', upload);
      if (req.method === 'PUT') {
        u.parts.set(Number(q.get('partNumber')), body);
        return reply(res, 200, undefined, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      }
      if (req.method === 'POST') {
        const order = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
        writeFileSync(file(u.key), Buffer.concat(order.map((n) => u.parts.get(n)!)));
        uploads.delete(upload);
        return reply(
          res,
          200,
          `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${xmlEsc(u.key)}</Key></CompleteMultipartUploadResult>`,
        );
      }
      if (req.method === 'DELETE') {
        uploads.delete(upload);
        return reply(res, 204);
      }
    }
    switch (req.method) {
      case 'PUT':
        writeFileSync(file(key), body);
        return reply(res, 200, undefined, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      case 'GET':
      case 'HEAD': {
        if (!existsSync(file(key))) return req.method === 'HEAD' ? reply(res, 404) : error(res, 404, 'NoSuchKey', key);
        const data = readFileSync(file(key));
        const headers = {
          'content-length': String(data.length),
          'last-modified': statSync(file(key)).mtime.toUTCString(),
          etag: `"${createHash('md5').update(data).digest('hex')}"`,
        };
        res.writeHead(200, headers);
        return res.end(req.method === 'GET' ? data : undefined);
      }
      case 'DELETE':
        rmSync(file(key), { force: true });
        return reply(res, 204);
    }
    return error(res, 501, 'NotImplemented', `${req.method} ${req.url}`);
  };

  const server: Server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (err) {
        error(res, 500, 'InternalError', (err as Error).message);
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `127.0.0.1:${port}`,
    bucket,
    region,
    caFile,
    accessKeyId,
    secretAccessKey,
    objects: () => keys().map((key) => ({ key, body: readFileSync(file(key)) })),
    get refused() {
      return state.refused;
    },
    stop: async () => {
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
