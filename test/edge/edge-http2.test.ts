// The edge terminating TLS itself (TLS_CERT, TLS_KEY): HTTP/2 and HTTP/1.1 on one port by ALPN,
// checked with curl and headless Chromium against a self-signed certificate made here with openssl,
// the edge running as a process (one and two workers) in front of a small real origin.
import t, { type Test } from 'tap';
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../player/browser';
import { chromium } from 'playwright-core';
import { startEdgeProcess, startUpstream, tempDir } from './edge-harness';

const run = promisify(execFile);
const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg-1.ts\n';

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
if (openssl.status !== 0) t.fail('openssl is missing: the TLS tests cannot make their certificate');

/** A self-signed certificate for 127.0.0.1 and localhost. */
async function selfSigned(t: Test): Promise<{ cert: string; key: string }> {
  const dir = tempDir(t, 'sc-edge-tls-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  return { cert, key };
}

interface CurlAnswer {
  status: number;
  version: string;
  headers: string[];
  body: string;
}

/** curl -k with the given protocol flag; headers as raw lines (lower-cased names). */
async function curl(url: string, protocol: '--http2' | '--http1.1', extra: string[] = []): Promise<CurlAnswer> {
  const { stdout } = await run('curl', ['-sk', protocol, '-D', '-', '-w', '\n%{http_code} %{http_version}', ...extra, url], { encoding: 'latin1', maxBuffer: 1 << 20 });
  const last = stdout.lastIndexOf('\n');
  const [status, version] = stdout.slice(last + 1).split(' ');
  const text = stdout.slice(0, last);
  const split = text.indexOf('\r\n\r\n');
  const headers = text
    .slice(0, split)
    .split('\r\n')
    .slice(1)
    .map((l) => l.replace(/^([^:]+):/, (_m, n: string) => `${n.toLowerCase()}:`));
  return { status: Number(status), version: version!, headers, body: text.slice(split + 4) };
}

const values = (a: CurlAnswer, name: string) => a.headers.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trim());

async function tlsEdge(t: Test, workers: number, extra: Record<string, string> = {}) {
  const { cert, key } = await selfSigned(t);
  const up = await startUpstream(t, {
    '/hls/live.m3u8': { body: PLAYLIST, headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': ['max-age=60', 'must-revalidate'] } },
    '/vod/a.m3u8': { body: gzipSync(PLAYLIST), headers: { 'content-type': 'application/vnd.apple.mpegurl', 'content-encoding': 'gzip', 'cache-control': 'max-age=60' } },
  });
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, TLS_CERT: cert, TLS_KEY: key, WORKERS: String(workers), DRAIN_TIMEOUT: '20', ...extra });
  return { up, edge, base: `https://127.0.0.1:${edge.port}` };
}

for (const workers of [1, 2]) {
  t.test(`curl: HTTP/2 and HTTP/1.1 by ALPN on the TLS port (${workers} worker${workers > 1 ? 's' : ''})`, async (t) => {
    const { up, base } = await tlsEdge(t, workers);
    const h2 = await curl(`${base}/hls/live.m3u8`, '--http2');
    t.same([h2.status, h2.version, h2.body], [200, '2', PLAYLIST]);
    t.same(values(h2, 'cache-control').join(', '), 'max-age=60, must-revalidate', 'both Cache-Control lines over HTTP/2');
    t.same(values(h2, 'connection'), [], 'no connection-specific header on HTTP/2');
    const h1 = await curl(`${base}/hls/live.m3u8`, '--http1.1');
    t.same([h1.status, h1.version, h1.body], [200, '1.1', PLAYLIST]);
    // With two workers the second connection may reach the other worker, which has no copy of its own and gets the
    // primary's: a MISS there, yet still one origin request.
    if (workers === 1) t.same(values(h1, 'x-media-cache-status'), ['HIT']);
    t.equal(up.count('/hls/live.m3u8'), 1, 'one origin request for both protocols');

    const gz = await curl(`${base}/vod/a.m3u8`, '--http2', ['--compressed']);
    t.same([gz.status, values(gz, 'content-encoding'), gz.body], [200, ['gzip'], PLAYLIST], 'the gzip object decodes in curl');
    const refused = await curl(`${base}/vod/a.m3u8`, '--http2', ['-H', 'accept-encoding: identity']);
    t.same([refused.status, values(refused, 'x-media-error')], [406, ['SC_ERR_NOT_ACCEPTABLE']]);
    const range = await curl(`${base}/hls/live.m3u8`, '--http2', ['-r', '0-6']);
    t.same([range.status, range.body], [206, '#EXTM3U']);
    const health = await curl(`${base}/healthz`, '--http2');
    t.same([health.status, health.version], [200, '2']);
    const noHost = await curl(`${base}/hls/live.m3u8`, '--http1.1', ['-H', 'Host:']);
    t.equal(noHost.status, 400, 'HTTP/1.1 without Host is refused behind TLS too');
    const post = await curl(`${base}/hls/live.m3u8`, '--http2', ['-X', 'POST']);
    t.equal(post.status, 405);
  });
}

t.test('TLS_CERT without TLS_KEY stops the start with a clear error', async (t) => {
  const { cert } = await selfSigned(t);
  await t.rejects(startEdgeProcess(t, { ORIGINS: 'http://127.0.0.1:9', TLS_CERT: cert }), /TLS_CERT and TLS_KEY go together/);
});

t.test('SIGTERM with open HTTP/2 and HTTP/1.1 connections: GOAWAY, idle ones closed, clean exit before DRAIN_TIMEOUT', async (t) => {
  const { base, edge } = await tlsEdge(t, 1);
  const session = h2connect(base, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  const goaway = new Promise<void>((r) => session.once('goaway', () => r()));
  await new Promise<void>((resolve, reject) => {
    const req = session.request({ ':path': '/hls/live.m3u8' });
    req.on('response', (h) => (h[':status'] === 200 ? resolve() : reject(new Error(String(h[':status'])))));
    req.resume();
  });
  // An idle HTTP/1.1 keep-alive connection: a TLS socket that sent one request and stays open.
  const { connect } = await import('node:tls');
  const socket = connect({ host: '127.0.0.1', port: edge.port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  const socketClosed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('secureConnect', () => r()));
  socket.write('GET /hls/live.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n');
  await new Promise<void>((r) => socket.once('data', () => r()));
  edge.child.kill('SIGTERM');
  await goaway;
  await socketClosed;
  t.equal(await edge.exited, 0);
  t.notMatch(edge.output(), /still in flight at DRAIN_TIMEOUT/, 'nothing waited for DRAIN_TIMEOUT');
  session.destroy();
});

t.test('headless Chromium loads over HTTP/2 (ALPN h2) and decodes the gzip object', async (t) => {
  const dir = tempDir(t, 'sc-edge-public-');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>edge</title><p>ok</p>');
  const { base, up } = await tlsEdge(t, 1, { PUBLIC_DIR: dir });
  // The certificate is self-signed: the browser is told to accept it, nothing else differs from the player tests.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const nav = await page.goto(`${base}/index.html`, { waitUntil: 'load' });
  t.equal(nav?.status(), 200);
  const seen = await page.evaluate(async () => {
    const res = await fetch('/vod/a.m3u8');
    const text = await res.text();
    const live = await fetch('/hls/live.m3u8');
    await live.text();
    const protocols = performance
      .getEntriesByType('navigation')
      .concat(performance.getEntriesByType('resource'))
      .map((e) => `${new URL(e.name).pathname} ${(e as PerformanceResourceTiming).nextHopProtocol}`);
    return { status: res.status, text, encoding: res.headers.get('content-encoding'), protocols };
  });
  t.same([seen.status, seen.text, seen.encoding], [200, PLAYLIST, 'gzip'], 'the browser decodes the stored gzip bytes');
  // Chromium may also have asked for /favicon.ico by now (over the same connection).
  t.same(seen.protocols.filter((p) => !p.startsWith('/favicon.ico')), ['/index.html h2', '/vod/a.m3u8 h2', '/hls/live.m3u8 h2'], 'page and both fetches over HTTP/2');
  t.equal(up.count('/vod/a.m3u8'), 1);
});
