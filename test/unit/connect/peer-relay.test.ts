import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relayCommand } from '../../../src/connect/peer-relay.js';

/** Runs a relay to `path`, writes `input` and closes its stdin; resolves with what came back. */
function relay(path: string, via: 'perl' | 'node', input: Buffer) {
  const { cmd, argv } = relayCommand(path, via);
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  child.stdin.end(input);
  return new Promise<{ code: number | null; out: Buffer; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out: Buffer.concat(out), err })),
  );
}

const vias = (['perl', 'node'] as const).filter((v) => v === 'node' || existsSync('/usr/bin/perl'));

describe.each(vias)('the peer relay in %s', (via) => {
  it('says K once connected, copies bytes both ways and half-closes on the end of its input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-relay-'));
    const path = join(dir, '.s.PGSQL.5432');
    // An echo server that answers only after its peer's half-close, with everything it got, reversed.
    const server = createServer({ allowHalfOpen: true }, (s) => {
      const got: Buffer[] = [];
      s.on('data', (d: Buffer) => got.push(d));
      s.on('end', () => s.end(Buffer.concat(got).reverse()));
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const input = Buffer.alloc(300_000);
      for (let i = 0; i < input.length; i++) input[i] = (i * 31) & 0xff;
      const r = await relay(path, via, input);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out.subarray(0, 1).toString()).toBe('K');
      expect(r.out.subarray(1).equals(Buffer.from(input).reverse())).toBe(true);
    } finally {
      server.close();
    }
  });

  it('reports a refused connect as Node does, with the errno name and the path', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pgharden-relay-')), 'no "such"\\socket');
    const r = await relay(path, via, Buffer.alloc(0));
    expect(r.code).toBe(1);
    expect(r.out.length).toBe(0);
    expect(JSON.parse(r.err)).toEqual({ code: 'ENOENT', message: `connect ENOENT ${path}` });
  });
});
