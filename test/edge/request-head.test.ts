// The fast path's request-head reader on inline request text: what it may call simple, and
// everything it must leave to Node's parser.
import t from 'tap';
import { readRequestHead } from '../../src/edge/request-head';

const MAX = 16 * 1024;
const read = (text: string, secretHeader = '') => readRequestHead(Buffer.from(text, 'latin1'), 0, MAX, secretHeader);

t.test('a plain GET is simple and ends after the blank line', async (t) => {
  const text = 'GET /hls/test.m3u8?x=1 HTTP/1.1\r\nHost: edge\r\nUser-Agent: hls.js\r\nAccept: */*\r\n\r\n';
  t.same(read(text), { kind: 'simple', method: 'GET', target: '/hls/test.m3u8?x=1', secret: undefined, end: text.length });
});

t.test('HEAD is simple; Connection: keep-alive is allowed in any case', async (t) => {
  t.match(read('HEAD /a.ts HTTP/1.1\r\nhost: e\r\nConnection: Keep-Alive\r\n\r\n'), { kind: 'simple', method: 'HEAD', target: '/a.ts' });
});

t.test('pipelined heads are read one after the other from the returned end', async (t) => {
  const buf = Buffer.from('GET /1.ts HTTP/1.1\r\nHost: e\r\n\r\nGET /2.ts HTTP/1.1\r\nHost: e\r\n\r\n');
  const first = readRequestHead(buf, 0, MAX, '');
  t.equal(first.kind, 'simple');
  const second = readRequestHead(buf, (first as { end: number }).end, MAX, '');
  t.match(second, { kind: 'simple', target: '/2.ts', end: buf.length });
});

t.test('a head without its blank line yet is incomplete until it outgrows the limit', async (t) => {
  t.same(read('GET /a.ts HTTP/1.1\r\nHost: e\r\n'), { kind: 'incomplete' });
  const long = `GET /a.ts HTTP/1.1\r\nHost: e\r\nX-Pad: ${'a'.repeat(MAX)}\r\n`;
  t.same(read(long), { kind: 'complex' }, 'left to Node, which answers 431');
});

t.test('the secret header value is returned, and a repeated one is complex', async (t) => {
  t.match(read('GET /a.ts HTTP/1.1\r\nHost: e\r\nX-Origin-Verify: s3cret \r\n\r\n', 'x-origin-verify'), { kind: 'simple', secret: 's3cret' });
  t.same(read('GET /a.ts HTTP/1.1\r\nHost: e\r\nx-origin-verify: a\r\nx-origin-verify: a\r\n\r\n', 'x-origin-verify'), { kind: 'complex' });
});

const complex: Array<[string, string]> = [
  ['another method', 'POST /a.ts HTTP/1.1\r\nHost: e\r\n\r\n'],
  ['OPTIONS', 'OPTIONS /a.ts HTTP/1.1\r\nHost: e\r\n\r\n'],
  ['HTTP/1.0', 'GET /a.ts HTTP/1.0\r\nHost: e\r\n\r\n'],
  ['absolute-form target', 'GET http://evil/a.ts HTTP/1.1\r\nHost: e\r\n\r\n'],
  ['asterisk-form target', 'GET * HTTP/1.1\r\nHost: e\r\n\r\n'],
  ['no Host', 'GET /a.ts HTTP/1.1\r\nAccept: */*\r\n\r\n'],
  ['two Hosts', 'GET /a.ts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
  ['a Range', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nRange: bytes=0-9\r\n\r\n'],
  ['If-None-Match', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nIf-None-Match: "x"\r\n\r\n'],
  ['If-Modified-Since', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nIf-Modified-Since: Tue, 01 Jan 2030 00:00:00 GMT\r\n\r\n'],
  ['a body length', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nContent-Length: 5\r\n\r\nhello'],
  ['chunked framing', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['Expect', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nExpect: 100-continue\r\n\r\n'],
  ['Upgrade', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
  ['Connection: close', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nConnection: close\r\n\r\n'],
  ['an obs-fold line', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nX-A: 1\r\n  folded\r\n\r\n'],
  ['whitespace before the colon', 'GET /a.ts HTTP/1.1\r\nHost : e\r\n\r\n'],
  ['a bare LF inside the head', 'GET /a.ts HTTP/1.1\r\nHost: e\nX-B: 1\r\n\r\n'],
  ['a NUL in a value', 'GET /a.ts HTTP/1.1\r\nHost: e\r\nX-B: a\u0000b\r\n\r\n'],
  ['bytes above ASCII in the target', 'GET /caf\u00e9.ts HTTP/1.1\r\nHost: e\r\n\r\n'],
  ['a lower-case method', 'get /a.ts HTTP/1.1\r\nHost: e\r\n\r\n'],
  ['garbage', '\u0016\u0003\u0001\u0000\u00a5\u0001\r\n\r\n'],
];
for (const [what, text] of complex) {
  t.test(`${what} is left to Node's parser`, async (t) => {
    t.same(read(text), { kind: 'complex' });
  });
}

t.test('Accept-Encoding is read (every field line) for coded objects; absent stays undefined', async (t) => {
  t.match(read('GET /a.m3u8 HTTP/1.1\r\nHost: e\r\nAccept-Encoding:  gzip, br \r\n\r\n'), { kind: 'simple', acceptEncoding: 'gzip, br' });
  t.match(read('GET /a.m3u8 HTTP/1.1\r\nHost: e\r\naccept-encoding: identity\r\nAccept-Encoding: gzip;q=0\r\n\r\n'), { kind: 'simple', acceptEncoding: 'identity, gzip;q=0' });
  const none = read('GET /a.m3u8 HTTP/1.1\r\nHost: e\r\n\r\n');
  t.equal(none.kind === 'simple' ? none.acceptEncoding : 'not simple', undefined);
});
