/**
 * The fixture WebSub subscribers of bench/lib/websub.ts, in a worker thread of the benchmark's process (started by
 * bench/lib/subscribers.ts, which documents why). What they saw goes into shared memory (the `Shared` layout
 * below), which the measuring thread reads without a message per delivery.
 *
 * They are a minimal HTTP/1.1 server on a plain socket, not node:http, speaking only what our hub sends
 * (Content-Length bodies, no chunked encoding, one request at a time per connection, kept alive): a body is not
 * parsed, joined or decoded, only counted as it streams in and searched for the edit mark until found. Signatures
 * are checked for the latency subscriber and for a sample of the fan-out subscribers (checkedSecret in
 * bench/lib/subscribers.ts), the HMAC updated chunk by chunk. Verification
 * GETs are answered with the challenge.
 */
import { createHmac, type Hmac } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { niceThisThread } from '../../src/threads.ts';
import { checkedSecret } from './subscribers.ts';

export interface SubscribersData {
  /** Float64Array: per edit number n, [n * 3] first and [n * 3 + 1] last fan-out arrival, [n * 3 + 2] the latency subscriber's (monotonic ms, NaN for none). */
  times: SharedArrayBuffer;
  /** Int32Array: per edit number, fan-out deliveries counted; then, at `maxEdits` and `maxEdits + 1`, signatures checked and wrong. */
  counts: SharedArrayBuffer;
  maxEdits: number;
  sampleEvery: number;
  /** Niceness of this thread (19: the load generator's core is wrk's first). */
  nice: number;
}

/** The message the thread posts once listening. */
export interface SubscribersReady {
  port: number;
  /** The nice value the thread runs at (null when it could not be set). */
  nice: number | null;
}

const MARK = Buffer.from('(websub edit ');
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

function main(d: SubscribersData): void {
  const times = new Float64Array(d.times);
  const counts = new Int32Array(d.counts);
  /** Paths seen per edit number: a delivery repeated (a retry) counts once. */
  const seen = new Map<number, Set<string>>();
  const arrived = (n: number, pathname: string) => {
    if (n < 0 || n >= d.maxEdits) return;
    const at = monotonicMs();
    let paths = seen.get(n);
    if (!paths) seen.set(n, (paths = new Set<string>()));
    if (paths.has(pathname)) return;
    paths.add(pathname);
    if (pathname === '/latency') times[n * 3 + 2] = at;
    if (!pathname.startsWith('/fan/')) return;
    if (Number.isNaN(times[n * 3]!)) times[n * 3] = at;
    times[n * 3 + 1] = at;
    Atomics.add(counts, n, 1);
  };
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let head: Buffer | null = null;
    /** The request whose body is arriving, or null while a request head is awaited. */
    let req: { pathname: string; remaining: number; n: number | null; tail: Buffer | null; hmac: Hmac | null; signature: string | null } | null = null;
    const finish = () => {
      const r = req!;
      req = null;
      if (r.hmac) {
        Atomics.add(counts, d.maxEdits, 1);
        if (r.signature !== `sha256=${r.hmac.digest('hex')}`) Atomics.add(counts, d.maxEdits + 1, 1);
      }
      if (r.n !== null) arrived(r.n, r.pathname);
      socket.write('HTTP/1.1 204 No Content\r\n\r\n');
    };
    socket.on('data', (chunk: Buffer) => {
      let c = chunk;
      while (c.length > 0) {
        if (req === null) {
          const buf: Buffer = head ? Buffer.concat([head, c]) : c;
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) {
            head = buf;
            return;
          }
          head = null;
          const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
          const [method, target = '/'] = lines[0]!.split(' ');
          const header = (name: string) => lines.find((l) => l.slice(0, name.length + 1).toLowerCase() === `${name}:`)?.slice(name.length + 1).trim() ?? null;
          if (header('transfer-encoding') !== null) throw new Error('websub bench: the fixture subscriber only reads Content-Length bodies');
          c = buf.subarray(end + 4);
          const pathname = target.split('?')[0]!;
          if (method === 'GET') {
            const challenge = new URL(target, 'http://receiver').searchParams.get('hub.challenge') ?? '';
            socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(challenge)}\r\n\r\n${challenge}`);
            continue;
          }
          const secret = checkedSecret(pathname, d.sampleEvery);
          req = {
            pathname,
            remaining: Number(header('content-length') ?? 0),
            n: null,
            tail: null,
            hmac: secret === null ? null : createHmac('sha256', secret),
            signature: header('x-hub-signature'),
          };
          if (req.remaining === 0) finish();
          continue;
        }
        const piece = c.subarray(0, req.remaining);
        c = c.subarray(piece.length);
        req.remaining -= piece.length;
        req.hmac?.update(piece);
        if (req.n === null) {
          // The mark may straddle two pieces: the end of the previous one is searched again with this one's start.
          let at = piece.indexOf(MARK);
          let hay = piece;
          if (at < 0 && req.tail) {
            hay = Buffer.concat([req.tail, piece.subarray(0, MARK.length + 16)]);
            at = hay.indexOf(MARK);
          }
          const m = at < 0 ? null : /^(\d+)\)/.exec(hay.subarray(at + MARK.length, at + MARK.length + 16).toString('latin1'));
          if (m) req.n = Number(m[1]);
          req.tail = piece.subarray(Math.max(0, piece.length - 32));
        }
        if (req.remaining === 0) finish();
      }
    });
    socket.on('error', () => socket.destroy());
  });
  const { nice } = niceThisThread(d.nice);
  server.listen(0, '127.0.0.1', () => {
    const ready: SubscribersReady = { port: (server.address() as AddressInfo).port, nice };
    parentPort!.postMessage(ready);
  });
  // The thread ends with the benchmark's process (bench/lib/subscribers.ts terminates it).
}

main(workerData as SubscribersData);
