// The fast path in front of node:http, spoken to over raw sockets: pipelining, hand-off to the full
// path in the middle of a connection, split heads, HEAD, the client secret and draining.
import t from 'tap';
import { connect } from 'node:net';
import { ManualClock } from '../../src/shared/clock';
import { startEdgeInProcess, startUpstream } from './edge-harness';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `chunks` on one connection (a pause between them) and reads `methods.length` answers,
 * framed by Content-Length (none for HEAD). Resolves early if the server closes.
 */
function exchange(port: number, chunks: string[], methods: string[]): Promise<{ answers: Answer[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const answers: Answer[] = [];
    let closed = false;
    const finish = () => {
      socket.destroy();
      resolve({ answers, closed });
    };
    const timer = setTimeout(() => reject(new Error(`timed out with ${answers.length} answers: ${buf.toString('latin1')}`)), 5000);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buf.toString('latin1', 0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
        const len = methods[answers.length] === 'HEAD' ? 0 : Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + len) return;
        answers.push({ status: Number(lines[0]!.split(' ')[1]), headers, body: buf.toString('latin1', end + 4, end + 4 + len) });
        buf = buf.subarray(end + 4 + len);
        if (answers.length === methods.length) {
          clearTimeout(timer);
          finish();
          return;
        }
      }
    });
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ answers, closed });
    });
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const [i, c] of chunks.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50));
        socket.write(c);
      }
    });
  });
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: edge\r\n${extra}\r\n`;
const routes = {
  '/hls/a.ts': { body: 'segment-a', headers: { 'content-type': 'video/mp2t', etag: '"a1"', 'last-modified': 'Tue, 01 Jan 2030 00:00:00 GMT' } },
  '/hls/b.ts': { body: 'segment-b', headers: { 'content-type': 'video/mp2t' } },
};

t.test('pipelined requests are answered in order: a hit, a miss that waits on the origin, a hit', async (t) => {
  const up = await startUpstream(t, { ...routes, '/hls/b.ts': { ...routes['/hls/b.ts'], delayMs: 150 } });
  const { edge, url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  await exchange(port, [get('/hls/a.ts')], ['GET']);
  const { answers } = await exchange(port, [get('/hls/a.ts') + get('/hls/b.ts') + get('/hls/a.ts')], ['GET', 'GET', 'GET']);
  t.same(answers.map((a) => [a.status, a.headers['x-media-cache-status'], a.body]), [
    [200, 'HIT', 'segment-a'],
    [200, 'MISS', 'segment-b'],
    [200, 'HIT', 'segment-a'],
  ]);
  t.equal(up.count('/hls/b.ts'), 1);
  t.equal(edge.status().hits, 2, 'the edge counted the fast-path hits');
});

t.test('a range request mid-connection goes to the full path, and the connection keeps working', async (t) => {
  const up = await startUpstream(t, routes);
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  const { answers } = await exchange(port, [get('/hls/a.ts'), get('/hls/a.ts', 'Range: bytes=0-6\r\n'), get('/hls/a.ts', 'If-None-Match: "a1"\r\n'), get('/hls/a.ts')], ['GET', 'GET', 'GET', 'GET']);
  t.same(answers.map((a) => [a.status, a.headers['x-media-cache-status'], a.body]), [
    [200, 'MISS', 'segment-a'],
    [206, 'HIT', 'segment'],
    [304, 'HIT', ''],
    [200, 'HIT', 'segment-a'],
  ]);
  t.equal(answers[1]!.headers['content-range'], 'bytes 0-6/9');
});

t.test('fast-path and full-path answers carry the same headers', async (t) => {
  const up = await startUpstream(t, routes);
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  await exchange(port, [get('/hls/a.ts')], ['GET']);
  const fast = (await exchange(port, [get('/hls/a.ts')], ['GET'])).answers[0]!;
  // A validator that does not match keeps the answer a 200 but takes it through node:http.
  const full = (await exchange(port, [get('/hls/a.ts', 'If-None-Match: "other"\r\n')], ['GET'])).answers[0]!;
  t.equal(full.status, 200);
  t.same(Object.keys(fast.headers).sort(), Object.keys(full.headers).sort());
  for (const name of ['etag', 'last-modified', 'content-type', 'content-length', 'age', 'x-media-cache-status', 'access-control-allow-origin', 'accept-ranges', 'x-media-handled-by']) {
    t.equal(fast.headers[name], full.headers[name], name);
  }
});

t.test('a head split across two writes is still answered, by the full path', async (t) => {
  const up = await startUpstream(t, routes);
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  const { answers } = await exchange(port, ['GET /hls/a.ts HTTP/1.1\r\nHo', 'st: edge\r\n\r\n', get('/hls/a.ts')], ['GET', 'GET']);
  t.same(answers.map((a) => [a.status, a.headers['x-media-cache-status'], a.body]), [
    [200, 'MISS', 'segment-a'],
    [200, 'HIT', 'segment-a'],
  ]);
});

t.test('HEAD of a hit has the length but no body, and the next answer is not shifted', async (t) => {
  const up = await startUpstream(t, routes);
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  await exchange(port, [get('/hls/a.ts')], ['GET']);
  const { answers } = await exchange(port, ['HEAD /hls/a.ts HTTP/1.1\r\nHost: edge\r\n\r\n' + get('/hls/b.ts')], ['HEAD', 'GET']);
  t.same(answers.map((a) => [a.status, a.headers['content-length'], a.body]), [
    [200, '9', ''],
    [200, '9', 'segment-b'],
  ]);
});

t.test('the client secret is checked on the fast path', async (t) => {
  const up = await startUpstream(t, routes);
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, CLIENT_SECRET: 'cdn-only' }, new ManualClock());
  const port = Number(new URL(url).port);
  const ok = await exchange(port, [get('/hls/a.ts', 'X-Origin-Verify: cdn-only\r\n') + get('/hls/a.ts', 'X-Origin-Verify: cdn-only\r\n')], ['GET', 'GET']);
  t.same(ok.answers.map((a) => a.headers['x-media-cache-status']), ['MISS', 'HIT']);
  const wrong = await exchange(port, [get('/hls/a.ts', 'X-Origin-Verify: guess\r\n')], ['GET']);
  t.equal(wrong.answers[0]!.status, 403);
  const none = await exchange(port, [get('/hls/a.ts')], ['GET']);
  t.equal(none.answers[0]!.status, 403);
});

t.test('while draining, answers close the connection', async (t) => {
  const up = await startUpstream(t, routes);
  const { edge, url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  await exchange(port, [get('/hls/a.ts')], ['GET']);
  edge.startDrain('test');
  const { answers, closed } = await exchange(port, [get('/hls/a.ts') + get('/hls/a.ts')], ['GET', 'GET']);
  t.equal(answers.length, 1, 'one answer, then the connection is closed');
  t.equal(answers[0]!.headers.connection, 'close');
  t.ok(closed);
});

t.test("the edge's own endpoints are never proxied, even on a fast-path connection", async (t) => {
  const up = await startUpstream(t, routes);
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  const { answers } = await exchange(port, [get('/hls/a.ts') + get('/healthz')], ['GET', 'GET']);
  t.equal(answers[1]!.status, 200);
  t.match(answers[1]!.body, /"status":"ok"/);
  t.equal(up.count('/healthz'), 0);
});

t.test('a connection that sends nothing is closed after the header timeout', async (t) => {
  const up = await startUpstream(t, routes);
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url, HEADERS_TIMEOUT: '0.2', KEEP_ALIVE_TIMEOUT: '30' }, new ManualClock());
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  const closed = await new Promise<boolean>((resolve) => {
    const guard = setTimeout(() => resolve(false), 5000);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(true);
    });
    socket.on('error', () => undefined);
  });
  t.ok(closed, 'the edge closed the idle connection');
});

t.test('answers built once per object and second: waiters and hits get whole, current answers, small and large bodies alike', async (t) => {
  const large = 'L'.repeat(100 * 1024);
  const up = await startUpstream(t, {
    '/hls/p.m4s': { body: 'part-p', headers: { 'content-type': 'video/iso.segment', 'cache-control': 'max-age=60' }, delayMs: 150 },
    '/hls/big.ts': { body: large, headers: { 'content-type': 'video/mp2t', 'cache-control': 'max-age=60' } },
  });
  const clock = new ManualClock();
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, clock);
  const port = Number(new URL(url).port);
  // Five connections wait on one coalesced miss: each gets the whole answer, then a hit behind it.
  const waiting = await Promise.all(Array.from({ length: 5 }, () => exchange(port, [get('/hls/p.m4s') + get('/hls/p.m4s')], ['GET', 'GET'])));
  t.equal(up.count('/hls/p.m4s'), 1, 'one upstream request');
  for (const { answers } of waiting) {
    t.same(answers.map((a) => [a.status, a.body, a.headers['content-length'], a.headers['age']]), [
      [200, 'part-p', '6', '0'],
      [200, 'part-p', '6', '0'],
    ]);
    t.equal(answers[1]!.headers['x-media-cache-status'], 'HIT');
  }
  const big = (await exchange(port, [get('/hls/big.ts') + get('/hls/big.ts') + 'HEAD /hls/big.ts HTTP/1.1\r\nHost: edge\r\n\r\n' + get('/hls/p.m4s')], ['GET', 'GET', 'HEAD', 'GET'])).answers;
  t.same(big.map((a) => [a.status, a.body.length, a.body === large || a.body === '' || a.body === 'part-p']), [
    [200, large.length, true],
    [200, large.length, true],
    [200, 0, true],
    [200, 6, true],
  ], 'a large body after its head, HEAD without a body, and the next answer in place');
  // Two seconds later the same objects answer with their new Age and Date.
  const before = big[3]!.headers['date'];
  clock.advance(2000);
  const later = (await exchange(port, [get('/hls/p.m4s') + get('/hls/big.ts')], ['GET', 'GET'])).answers;
  t.same(later.map((a) => [a.headers['age'], a.headers['x-media-cache-status']]), [['2', 'HIT'], ['2', 'HIT']]);
  t.not(later[0]!.headers['date'], before, 'a new Date');
  t.equal(later[0]!.body, 'part-p');
});
