// `node dist/edge.js` as a real process in front of counting upstream servers.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { client, deadPort, rawRequest, sleep, startEdgeProcess, startUpstream, tempDir } from './edge-harness';

const SEGMENT = Buffer.alloc(128 * 1024);
for (let i = 0; i < SEGMENT.length; i++) SEGMENT[i] = i % 251;
const SEG_HEADERS = { 'content-type': 'video/mp2t', etag: '"seg-1"', 'last-modified': 'Tue, 01 Jan 2030 00:00:00 GMT' };

t.test('500 concurrent misses for one segment make one upstream request and 500 identical 200s', async (t) => {
  const up = await startUpstream(t, { '/hls/cold-1.ts': { body: SEGMENT, headers: SEG_HEADERS, delayMs: 300 } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url });
  const get = client(t);
  const answers = await Promise.all(Array.from({ length: 500 }, () => get(`${edge.url}/hls/cold-1.ts`)));
  t.equal(up.count('/hls/cold-1.ts'), 1, 'the upstream saw exactly one request');
  t.equal(answers.filter((a) => a.status === 200).length, 500);
  t.equal(answers.filter((a) => a.body.equals(SEGMENT)).length, 500, 'every waiter got the whole body');
  const next = await get(`${edge.url}/hls/cold-1.ts`);
  t.equal(next.headers['x-media-cache-status'], 'HIT');
  t.equal(up.count('/hls/cold-1.ts'), 1);
  const status = (await get(`${edge.url}/server-status`)).body.toString();
  const s = JSON.parse(status);
  t.equal(s.requests, 501);
  t.equal(s.hits, 1);
  t.equal(s.misses, 500);
  t.equal(s.coalescedWaiters, 499);
  t.equal(s.upstreamRequests, 1);
  t.equal(s.cache.objects, 1);
  t.equal(s.origins[0].up, true);
});

t.test('headers: cache status, handled-by, Age, CORS, and the origin validators and type', async (t) => {
  const up = await startUpstream(t, { '/hls/h.ts': { body: SEGMENT, headers: SEG_HEADERS } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, EDGE_ID: 'edge-test-1' });
  const get = client(t);
  const r = await get(`${edge.url}/hls/h.ts`);
  t.equal(r.headers['x-media-cache-status'], 'MISS');
  t.equal(r.headers['x-media-handled-by'], 'edge-test-1');
  t.equal(r.headers['access-control-allow-origin'], '*');
  t.equal(r.headers.age, '0');
  t.equal(r.headers['content-type'], 'video/mp2t');
  t.equal(r.headers['content-length'], String(SEGMENT.length));
  t.equal(r.headers.etag, '"seg-1"');
  t.equal(r.headers['last-modified'], 'Tue, 01 Jan 2030 00:00:00 GMT');
  const head = await get(`${edge.url}/hls/h.ts`, { method: 'HEAD' });
  t.same([head.status, head.headers['content-length'], head.body.length, head.headers['x-media-cache-status']], [200, String(SEGMENT.length), 0, 'HIT']);
});

t.test('a HEAD miss fills the cache with the GET answer', async (t) => {
  const up = await startUpstream(t, { '/hls/head.ts': { body: SEGMENT, headers: SEG_HEADERS } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url });
  const get = client(t);
  const head = await get(`${edge.url}/hls/head.ts`, { method: 'HEAD' });
  t.same([head.status, head.headers['content-length'], head.body.length], [200, String(SEGMENT.length), 0]);
  const full = await get(`${edge.url}/hls/head.ts`);
  t.same([full.headers['x-media-cache-status'], full.body.equals(SEGMENT)], ['HIT', true]);
  t.equal(up.count('/hls/head.ts'), 1);
});

t.test('Range on cached objects: 206 with Content-Range, 416 when unsatisfiable', async (t) => {
  const up = await startUpstream(t, { '/hls/r.ts': { body: SEGMENT, headers: SEG_HEADERS } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url });
  const get = client(t);
  const first = await get(`${edge.url}/hls/r.ts`, { headers: { range: 'bytes=100-199' } });
  t.equal(first.status, 206, 'a range on a miss is cut from the fetched object');
  t.equal(first.headers['content-range'], `bytes 100-199/${SEGMENT.length}`);
  t.ok(first.body.equals(SEGMENT.subarray(100, 200)));
  const tail = await get(`${edge.url}/hls/r.ts`, { headers: { range: 'bytes=-10' } });
  t.same([tail.status, tail.headers['x-media-cache-status'], tail.headers['content-length']], [206, 'HIT', '10']);
  t.ok(tail.body.equals(SEGMENT.subarray(SEGMENT.length - 10)));
  const bad = await get(`${edge.url}/hls/r.ts`, { headers: { range: `bytes=${SEGMENT.length}-` } });
  t.same([bad.status, bad.headers['content-range']], [416, `bytes */${SEGMENT.length}`]);
  const stale = await get(`${edge.url}/hls/r.ts`, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
  t.equal(stale.status, 200, 'If-Range that does not match gives the whole object');
  t.equal(up.count('/hls/r.ts'), 1, 'the upstream is only ever asked for whole objects');
});

t.test('conditional requests get 304', async (t) => {
  const up = await startUpstream(t, { '/hls/c.ts': { body: SEGMENT, headers: SEG_HEADERS } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url });
  const get = client(t);
  await get(`${edge.url}/hls/c.ts`);
  const inm = await get(`${edge.url}/hls/c.ts`, { headers: { 'if-none-match': '"seg-1"' } });
  t.same([inm.status, inm.body.length, inm.headers.etag], [304, 0, '"seg-1"']);
  const ims = await get(`${edge.url}/hls/c.ts`, { headers: { 'if-modified-since': 'Wed, 02 Jan 2030 00:00:00 GMT' } });
  t.equal(ims.status, 304);
  const changed = await get(`${edge.url}/hls/c.ts`, { headers: { 'if-none-match': '"seg-0"' } });
  t.equal(changed.status, 200);
  t.ok(changed.body.equals(SEGMENT));
});

t.test('the primary stopped, requests go to the backup', async (t) => {
  const primary = await startUpstream(t, { '/hls/f-1.ts': { body: 'primary' }, '/hls/f-2.ts': { body: 'primary' } });
  const backup = await startUpstream(t, { '/hls/f-1.ts': { body: 'backup' }, '/hls/f-2.ts': { body: 'backup' }, '/hls/f-3.ts': { body: 'backup' } });
  const edge = await startEdgeProcess(t, { ORIGINS: `${primary.url},${backup.url}`, FAIL_TIMEOUT: '60' });
  const get = client(t);
  t.equal((await get(`${edge.url}/hls/f-1.ts`)).body.toString(), 'primary');
  await primary.close();
  t.equal((await get(`${edge.url}/hls/f-2.ts`)).body.toString(), 'backup');
  t.equal((await get(`${edge.url}/hls/f-3.ts`)).body.toString(), 'backup');
  const s = JSON.parse((await get(`${edge.url}/server-status`)).body.toString());
  t.same(s.origins.map((o: { up: boolean }) => o.up), [false, true], 'the primary is marked down');
});

t.test('a primary answering 502 fails over and is skipped for FAIL_TIMEOUT', async (t) => {
  const primary = await startUpstream(t, { '/a.ts': { status: 502 }, '/b.ts': { status: 502 } });
  const backup = await startUpstream(t, { '/a.ts': { body: 'a' }, '/b.ts': { body: 'b' } });
  const edge = await startEdgeProcess(t, { ORIGINS: `${primary.url},${backup.url}`, FAIL_TIMEOUT: '60' });
  const get = client(t);
  const a = await get(`${edge.url}/a.ts`);
  t.same([a.status, a.body.toString()], [200, 'a']);
  const b = await get(`${edge.url}/b.ts`);
  t.same([b.status, b.body.toString()], [200, 'b']);
  t.equal(primary.total(), 1, 'the failed primary was not asked again within FAIL_TIMEOUT');
});

t.test('every origin stopped: cached segments are served STALE, uncached ones get 503 at once', async (t) => {
  const up = await startUpstream(t, { '/hls/s-1.ts': { body: SEGMENT, headers: { 'cache-control': 'max-age=1' } } });
  const backupPort = await deadPort();
  const edge = await startEdgeProcess(t, { ORIGINS: `${up.url},http://127.0.0.1:${backupPort}`, STALE_IF_ERROR: '600' });
  const get = client(t);
  await get(`${edge.url}/hls/s-1.ts`);
  await up.close();
  await sleep(1100);
  const stale = await get(`${edge.url}/hls/s-1.ts`);
  t.same([stale.status, stale.headers['x-media-cache-status']], [200, 'STALE']);
  t.ok(stale.body.equals(SEGMENT));
  const missing = await get(`${edge.url}/hls/s-2.ts`);
  t.same([missing.status, missing.headers['x-media-error']], [503, 'SC_ERR_ORIGINS_DOWN'], 'both origins are known down: no new attempt');
});

t.test('the client secret is enforced; the origin secret is sent', async (t) => {
  const up = await startUpstream(t, { '/hls/p.ts': { body: 'x' } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, CLIENT_SECRET: 'from-cloudfront', CLIENT_SECRET_HEADER: 'X-Edge-Key', ORIGIN_SECRET: 'to-origin' });
  const get = client(t);
  t.equal((await get(`${edge.url}/hls/p.ts`)).status, 403);
  t.equal((await get(`${edge.url}/hls/p.ts`, { headers: { 'x-edge-key': 'wrong' } })).status, 403);
  t.equal(up.total(), 0, 'refused requests never reach the origin');
  const ok = await get(`${edge.url}/hls/p.ts`, { headers: { 'x-edge-key': 'from-cloudfront' } });
  t.equal(ok.status, 200);
  t.equal(up.lastHeaders['x-origin-verify'], 'to-origin');
  t.equal((await get(`${edge.url}/hls/p.ts`)).status, 403, 'a cached object is not served without the secret either');
  t.equal((await get(`${edge.url}/healthz`)).status, 200, 'the load balancer health check needs no secret');
  t.notMatch(edge.output(), /from-cloudfront|to-origin/, 'secrets are never logged');
});

t.test('traversal, absolute-form, CONNECT and other methods are refused and the upstream never sees them', async (t) => {
  const up = await startUpstream(t, { '/hls/ok.ts': { body: 'ok' } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url });
  const cases: Array<[string, RegExp]> = [
    ['GET /hls/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400/],
    ['GET /hls/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400/],
    ['GET /hls/..%2fsecret HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400/],
    ['GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n', /^HTTP\/1\.1 400/],
    [`GET ${up.url}/hls/ok.ts HTTP/1.1\r\nHost: x\r\n\r\n`, /^HTTP\/1\.1 400/],
    ['CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', /^HTTP\/1\.1 405/],
    ['POST /hls/ok.ts HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', /^HTTP\/1\.1 405/],
    ['DELETE /hls/ok.ts HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 405/],
  ];
  for (const [raw, expected] of cases) {
    t.match(await rawRequest(edge.port, raw), expected, raw.split('\r\n')[0]);
  }
  t.equal(up.total(), 0, 'nothing reached the upstream');
  t.match(await rawRequest(edge.port, 'GET /hls/ok.ts HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 200/, 'a proper request still works');
  t.same(up.seen, ['/hls/ok.ts']);
});

t.test('oversized request heads are refused with 431', async (t) => {
  const up = await startUpstream(t, {});
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, MAX_HEADER_BYTES: '4K' });
  const answer = await rawRequest(edge.port, `GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
  t.match(answer, /^HTTP\/1\.1 431/);
  t.equal(up.total(), 0);
});

t.test('a client that never finishes its request head is dropped', async (t) => {
  const up = await startUpstream(t, {});
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, HEADERS_TIMEOUT: '0.5', REQUEST_TIMEOUT: '0.5' });
  // Node checks the timeouts every connectionsCheckingInterval (30 s by default) unless the
  // socket times out first; the socket inactivity timeout (REQUEST_TIMEOUT) catches this one.
  const answer = await rawRequest(edge.port, 'GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  t.notMatch(answer, /^HTTP\/1\.1 200/);
  t.equal(up.total(), 0);
});

t.test('/metrics exposes Prometheus counters', async (t) => {
  const up = await startUpstream(t, { '/m.ts': { body: 'm' } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url });
  const get = client(t);
  await get(`${edge.url}/m.ts`);
  await get(`${edge.url}/m.ts`);
  const m = await get(`${edge.url}/metrics`);
  t.equal(m.status, 200);
  const text = m.body.toString();
  t.match(text, /spherecast_edge_requests_total\{cache_status="HIT",program="edge"\} 1/);
  t.match(text, /spherecast_edge_requests_total\{cache_status="MISS",program="edge"\} 1/);
  t.match(text, new RegExp(`spherecast_edge_upstream_requests_total\\{origin="${up.url.replace(/\./g, '\\.')}",outcome="ok",program="edge"\\} 1`));
  t.match(text, /spherecast_edge_cache_objects\{program="edge"\} 1/);
  t.match(text, /spherecast_edge_coalesced_waiters_total/);
  t.match(text, /spherecast_edge_response_body_bytes_total\{program="edge"\} 2/);
});

t.test('the player in PUBLIC_DIR is served at /', async (t) => {
  const up = await startUpstream(t, { '/hls/x.m3u8': { body: '#EXTM3U\n' } });
  const dir = tempDir(t);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>player</title>');
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, PUBLIC_DIR: dir });
  const get = client(t);
  const index = await get(`${edge.url}/`);
  t.same([index.status, index.body.toString()], [200, '<!doctype html><title>player</title>']);
  t.match(index.headers['content-type'], /text\/html/);
  t.equal((await get(`${edge.url}/hls/x.m3u8`)).status, 200, 'everything else is proxied');
  t.same(up.seen, ['/hls/x.m3u8']);
});

t.test('drain on SIGTERM: /healthz fails first, the in-flight request completes, then the edge exits', async (t) => {
  const up = await startUpstream(t, { '/slow.ts': { body: 'slow body', delayMs: 1500 } });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, DRAIN_DELAY: '0.8', DRAIN_TIMEOUT: '10' });
  const get = client(t);
  t.equal((await get(`${edge.url}/healthz`)).status, 200);
  const inFlight = request(`${edge.url}/slow.ts`).then(async (r) => ({ status: r.statusCode, body: await r.body.text() }));
  while (up.count('/slow.ts') === 0) await sleep(10);
  edge.child.kill('SIGTERM');
  let health = 0;
  for (let i = 0; i < 50 && health !== 503; i++) {
    health = (await get(`${edge.url}/healthz`)).status;
    if (health !== 503) await sleep(20);
  }
  t.equal(health, 503, '/healthz fails while draining');
  t.same(await inFlight, { status: 200, body: 'slow body' }, 'the in-flight request finished');
  t.equal(await edge.exited, 0, 'clean exit');
  t.match(edge.output(), /draining/);
});

t.test('one stop delivered twice at once (process group and supervisor) still drains; a later signal forces the exit', async (t) => {
  const up = await startUpstream(t, {});
  const drained = await startEdgeProcess(t, { ORIGINS: up.url, DRAIN_DELAY: '0.5' });
  drained.child.kill('SIGINT');
  drained.child.kill('SIGTERM');
  t.equal(await drained.exited, 0, 'the duplicate did not cut the drain short');
  t.notMatch(drained.output(), /second signal/);

  const forced = await startEdgeProcess(t, { ORIGINS: up.url, DRAIN_DELAY: '30' });
  forced.child.kill('SIGTERM');
  await sleep(1200);
  forced.child.kill('SIGTERM');
  t.equal(await forced.exited, 1, 'a second signal after the first second forces the exit');
  t.match(forced.output(), /second signal: exiting now/);
});
