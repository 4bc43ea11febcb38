// The load test's own keep-alive connections against a real TCP server on 127.0.0.1 that answers as
// scripted: reuse, closes, the retry of a request the server dropped on an idle connection, timeouts,
// refused connections, shared connections taking turns, and the error kinds the report counts.
import t from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConnectionPool } from '../../src/loadtest/connection-pool';
import { networkErrorKind } from '../../src/loadtest/error-kind';

type Answer = (path: string, socket: Socket, requestNo: number) => void;

/** A server that reads each request head and lets `answer` write whatever it likes; counts connections and heads. */
async function scripted(t: Tap, answer: Answer): Promise<{ url: string; connections: () => number; heads: string[] }> {
  let connections = 0;
  const heads: string[] = [];
  const server: Server = createServer((socket) => {
    connections++;
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        heads.push(head);
        answer(head.split(' ')[1]!, socket, heads.length);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  t.teardown(() => {
    for (const s of sockets) s.destroy();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, heads };
}
type Tap = { teardown(fn: () => unknown): void };

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nX-Media-Cache-Status: hit\r\n${extra}\r\n${body}`;

function pool(t: Tap, connections = 0, timeoutMs = 2000): ConnectionPool {
  const p = new ConnectionPool({ connections, headers: { 'user-agent': 'test', 'x-edge-secret': 's' }, timeoutMs });
  t.teardown(() => p.destroy());
  return p;
}

t.test('requests of a viewer go one after another on one kept-alive connection, with Host and the headers given', async (t) => {
  const s = await scripted(t, (path, socket) => socket.write(ok(`body of ${path}`)));
  const p = pool(t);
  const a = await p.get(0, `${s.url}/hls/a.m3u8?_HLS_msn=5&_HLS_part=1`, true);
  const b = await p.get(0, `${s.url}/hls/5.1.m4s#frag`, false);
  t.same({ status: a.status, cacheStatus: a.cacheStatus, body: a.body?.toString() }, { status: 200, cacheStatus: 'HIT', body: 'body of /hls/a.m3u8?_HLS_msn=5&_HLS_part=1' });
  t.same({ bytes: b.bytes, body: b.body }, { bytes: 'body of /hls/5.1.m4s'.length, body: undefined }, 'a counted body is not kept');
  t.equal(s.connections(), 1, 'one connection for both');
  t.match(s.heads[0], /^GET \/hls\/a\.m3u8\?_HLS_msn=5&_HLS_part=1 HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\nuser-agent: test\r\nx-edge-secret: s$/);
  t.match(s.heads[1], /^GET \/hls\/5\.1\.m4s HTTP\/1\.1\r\n/, 'no fragment on the wire');
  await p.get(1, `${s.url}/x`, false);
  t.equal(s.connections(), 2, 'another viewer, another connection');
});

t.test('a closed connection is opened again; a request the server dropped on an idle connection is sent once more', async (t) => {
  const s = await scripted(t, (path, socket, n) => {
    if (path === '/close') socket.end(ok('bye', 'Connection: close\r\n'));
    else if (path === '/drop' && n === 4) socket.destroy(); // closes as the request arrives, without a byte
    else socket.write(ok('fine'));
  });
  const p = pool(t);
  t.equal((await p.get(0, `${s.url}/close`, true)).body?.toString(), 'bye');
  t.equal((await p.get(0, `${s.url}/a`, true)).body?.toString(), 'fine', 'after Connection: close, a new connection');
  t.equal(s.connections(), 2);
  await p.get(0, `${s.url}/b`, false);
  const again = await p.get(0, `${s.url}/drop`, true);
  t.equal(again.body?.toString(), 'fine', 'the dropped request was answered on a new connection');
  t.equal(s.connections(), 3);
  t.equal(s.heads.filter((h) => h.startsWith('GET /drop ')).length, 2, 'sent twice, once per connection');
});

t.test('failures carry the codes the report counts by kind: timeout, connect, reset, malformed', async (t) => {
  const s = await scripted(t, (path, socket) => {
    if (path === '/silent') return;
    if (path === '/cut') socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this');
    else if (path === '/garbage') socket.write('SPDY/3 200\r\n\r\n');
    else if (path === '/extra') socket.write(ok('a') + 'HTTP/1.1 200 OK\r\n');
    else socket.write(ok('ok'));
  });
  const p = pool(t, 0, 300);
  const kind = (url: string) => p.get(0, url, false).then(() => 'none', networkErrorKind);
  t.equal(await kind(`${s.url}/silent`), 'timeout');
  t.equal(await kind(`${s.url}/cut`), 'reset', 'closed before the Content-Length was reached');
  t.equal(await kind(`${s.url}/garbage`), 'other', 'not an HTTP/1.1 answer');
  t.equal((await p.get(0, `${s.url}/extra`, true)).body?.toString(), 'a', 'an answer with bytes after it is still an answer');
  const before = s.connections();
  await p.get(0, `${s.url}/next`, false);
  t.equal(s.connections(), before + 1, 'but that connection is not reused');
  // A port nothing listens on any more.
  const gone = await scripted(t, () => undefined);
  const closedServer = createServer();
  await new Promise<void>((r) => closedServer.listen(0, '127.0.0.1', r));
  const port = (closedServer.address() as AddressInfo).port;
  await new Promise<void>((r) => closedServer.close(() => r()));
  t.equal(await kind(`http://127.0.0.1:${port}/x`), 'connect');
  t.ok(gone.url);
  await t.rejects(p.get(0, 'http://127.0.0.1:1/a b', false), { code: 'ERR_INVALID_URL' }, 'a target that cannot be written on the wire is refused');
});

t.test('with fewer connections than viewers, requests on a shared connection take turns, in order', async (t) => {
  const s = await scripted(t, (path, socket) => setTimeout(() => socket.write(ok(path)), 5));
  const p = pool(t, 2);
  const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((v) => p.get(v, `${s.url}/v${v}`, true)));
  t.same(answers.map((a) => a.body?.toString()), ['/v0', '/v1', '/v2', '/v3', '/v4', '/v5'], 'each answer to its own request');
  t.equal(s.connections(), 2);
  p.destroy();
  await t.rejects(p.get(0, `${s.url}/late`, false), { code: 'ECONNABORTED' }, 'a destroyed pool takes no request');
});
