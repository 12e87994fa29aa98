/**
 * Peer authentication as another OS user. `peer` maps the CLIENT process's OS user (the kernel's
 * SO_PEERCRED of whoever called connect() on the socket), so root cannot log in as `postgres`
 * itself. This stream has a tiny child process, started with the server's uid and gid, open the
 * Unix socket and relay bytes both ways; node-postgres speaks the protocol through it as through
 * any socket, so errors, SQLSTATEs and every client feature stay those of a normal connection.
 *
 * The child is Perl where /usr/bin/perl exists (perl-base is Essential on Debian): it starts in
 * about 10 ms of CPU, where a second Node takes about 150, and an apply opens several of these
 * connections. Without Perl it is Node running inline code. Either needs no file it may not read.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import { isSingleExecutable } from '../core/shipped.js';
import { startPiped, type PipedChild } from '../process/piped.js';

/** The relay's far end in Node: connect, say "K" once connected, then copy bytes both ways. */
const RELAY = [
  "const s = require('net').connect(process.argv[1]);",
  "s.on('connect', () => { process.stdout.write('K'); process.stdin.pipe(s); s.pipe(process.stdout); });",
  "s.on('error', (e) => { process.stderr.write(JSON.stringify({ code: e.code, message: e.message })); process.exit(1); });",
  "s.on('close', () => process.exit(0));",
].join('\n');

/**
 * The same far end in Perl's core modules. A refused connect is reported as Node reports it
 * ({"code":"ENOENT","message":"connect ENOENT PATH"}), so what the user reads does not depend on
 * which relay ran. The end of the parent's input half-closes the socket, as stdin.pipe(s) does.
 * Its writes block until done: node-postgres has one query in flight and reads each reply whole,
 * and the server reads COPY data as it comes, so neither side waits on the other's full buffer.
 */
const PERL_RELAY = String.raw`
use strict; use Socket; use Errno;
my $path = $ARGV[0];
sub fail { my $n = (grep { $!{$_} } keys %!)[0] || 'EIO'; (my $p = $path) =~ s/(["\\])/\\$1/g; $p =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
  syswrite STDERR, qq({"code":"$n","message":"connect $n $p"}); exit 1 }
socket(my $s, PF_UNIX, SOCK_STREAM, 0) or fail();
connect($s, pack_sockaddr_un($path)) or fail();
sub put { my ($fh, $b) = @_; while (length $b) { my $w = syswrite($fh, $b); if (!defined $w) { next if $!{EINTR}; exit 1 } substr($b, 0, $w) = '' } }
put(\*STDOUT, 'K');
my $in = 1; my $fd = fileno($s);
while (1) {
  my $r = ''; vec($r, $fd, 1) = 1; vec($r, 0, 1) = 1 if $in;
  if (select($r, undef, undef, undef) < 0) { next if $!{EINTR}; exit 1 }
  if ($in && vec($r, 0, 1)) { my $n = sysread(STDIN, my $b, 65536); if (!$n) { next if !defined $n && $!{EINTR}; $in = 0; shutdown($s, 1) } else { put($s, $b) } }
  if (vec($r, $fd, 1)) { my $n = sysread($s, my $b, 65536); if (!$n) { next if !defined $n && $!{EINTR}; exit 0 } put(\*STDOUT, $b) }
}`;

const PERL = '/usr/bin/perl';
let perl: boolean | undefined;

/** The relay's command line: Perl when the box has it, else this executable (`via` chooses, for tests). */
export function relayCommand(path: string, via?: 'perl' | 'node'): { cmd: string; argv: string[] } {
  perl ??= existsSync(PERL);
  if ((via ?? (perl ? 'perl' : 'node')) === 'perl') return { cmd: PERL, argv: ['-e', PERL_RELAY, path] };
  return { cmd: process.execPath, argv: isSingleExecutable() ? [PEER_RELAY_ARG, path] : ['-e', RELAY, path] };
}

/**
 * The first argument that makes the single executable (the `.deb`'s pgharden, which has no
 * `node -e`) act as the relay: `pgharden --internal-peer-relay SOCKET`.
 */
export const PEER_RELAY_ARG = '--internal-peer-relay';

/** The relay's far end in this process, as RELAY does: the single executable started with PEER_RELAY_ARG. */
export function runPeerRelay(path: string): void {
  const s = connect(path);
  s.on('connect', () => {
    process.stdout.write('K');
    process.stdin.pipe(s);
    s.pipe(process.stdout);
  });
  s.on('error', (e: NodeJS.ErrnoException) => {
    process.stderr.write(JSON.stringify({ code: e.code, message: e.message }));
    process.exit(1);
  });
  s.on('close', () => process.exit(0));
}

/** The OS identity the relay connects as. */
export interface PeerIdentity {
  uid: number;
  gid: number;
  /** The OS user's name: the role `peer` admits. */
  name: string;
}

/** A Duplex that pg.Client uses as its socket (it calls `connect(path)` for a Unix socket). */
export class PeerRelay extends Duplex {
  private child?: PipedChild;

  constructor(private readonly who: PeerIdentity) {
    super();
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  connect(path: string): this {
    const { cmd, argv } = relayCommand(path);
    const child = startPiped(cmd, argv, {
      uid: this.who.uid,
      gid: this.who.gid,
      cwd: '/',
      env: {},
    });
    this.child = child;
    let connected = false;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (!connected) {
        connected = true;
        chunk = chunk.subarray(1);
        this.emit('connect');
      }
      if (chunk.length) this.push(chunk);
    });
    child.stdout.on('end', () => this.push(null));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) =>
      this.destroy(
        relayError(
          `cannot start the peer relay as OS user ${this.who.name} (${cmd}): ${err.message}`,
          (err as NodeJS.ErrnoException).code,
        ),
      ),
    );
    child.on('exit', (code) => {
      if (connected || code === 0) return;
      let why: { code?: string; message?: string } = {};
      try {
        why = JSON.parse(stderr) as typeof why;
      } catch {
        why = { message: stderr.trim() || `the relay exited with ${code}` };
      }
      this.destroy(relayError(`${why.message ?? 'failed'} (connecting as OS user ${this.who.name})`, why.code));
    });
    child.stdin.on('error', () => undefined);
    return this;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (!this.child) return done(new Error('the peer relay is not connected'));
    this.child.stdin.write(chunk, (err) => done(err ?? null));
  }

  override _final(done: (err?: Error | null) => void): void {
    this.child?.stdin.end();
    done();
  }

  override _read(): void {}

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    if (this.child && this.child.exitCode === null) this.child.kill();
    done(err);
  }
}

function relayError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}
