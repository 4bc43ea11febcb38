// The load test's HTTP/1.1 response reader: framing by Content-Length, chunked coding and close, the
// answer's status and cache status, its limits, and a seeded fuzz of broken responses.
import t from 'tap';
import { ResponseParseError, ResponseParser, type ResponseLimits } from '../../src/loadtest/response-parser';
import { seededRandom } from '../../src/loadtest/think-time';

type Read = { end: number; status: number; cacheStatus: string | undefined; bytes: number; body: string; keepAlive: boolean };

/** Feeds `raw` cut at the given offsets; the result once the response ended (end: offset in `raw`, -1 if never). */
function read(raw: string, cuts: number[] = [], keepBody = true, limits?: ResponseLimits): Read {
  const p = new ResponseParser(limits);
  p.reset(keepBody);
  const bytes = Buffer.from(raw, 'latin1');
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
  let end = -1;
  for (let i = 0; i + 1 < bounds.length && end < 0; i++) {
    const chunk = bytes.subarray(bounds[i], bounds[i + 1]);
    const e = p.feed(chunk);
    if (e >= 0) end = bounds[i]! + e;
  }
  return { end, status: p.status, cacheStatus: p.cacheStatus, bytes: p.bodyBytes, body: p.done && keepBody ? p.body().toString('latin1') : '', keepAlive: p.keepAlive };
}

const plain = 'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.apple.mpegurl\r\nX-Media-Cache-Status: hit\r\nContent-Length: 11\r\n\r\n#EXTM3U\nab\n';
const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n';

t.test('a Content-Length answer, read whole and cut at every byte: the same status, cache status and body', async (t) => {
  const whole = read(plain);
  t.same(whole, { end: plain.length, status: 200, cacheStatus: 'HIT', bytes: 11, body: '#EXTM3U\nab\n', keepAlive: true });
  for (let cut = 1; cut < plain.length; cut++) t.same(read(plain, [cut]), whole, `cut at ${cut}`);
  t.same(read(plain, [...Array(plain.length).keys()]), whole, 'one byte at a time');
  t.equal(read(plain + 'HTTP/1.1 200', []).end, plain.length, 'the end is where the next bytes start');
  t.same(read(plain, [], false).body, '', 'a counted body is not kept');
  t.equal(read(plain, [], false).bytes, 11);
});

t.test('a chunked answer: extensions and trailers, cut anywhere', async (t) => {
  const whole = read(chunked);
  t.same(whole, { end: chunked.length, status: 200, cacheStatus: undefined, bytes: 11, body: 'hello world', keepAlive: true });
  for (let cut = 1; cut < chunked.length; cut++) t.same(read(chunked, [cut]), whole, `cut at ${cut}`);
  t.same(read(chunked, [...Array(chunked.length).keys()]), whole, 'one byte at a time');
  // Both framings: chunked wins and the connection is not reused (RFC 9112 6.3).
  const both = read('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n');
  t.match(both, { body: 'ab', keepAlive: false });
});

t.test('framing by the close, no body for 204/304, interim answers, Connection: close, HTTP/1.0', async (t) => {
  const p = new ResponseParser();
  p.reset(true);
  t.equal(p.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nabc')), -1, 'no length: the body runs to the close');
  t.equal(p.feed(Buffer.from('def')), -1);
  t.ok(p.closed(), 'the close ends it');
  t.equal(p.body().toString(), 'abcdef');
  t.notOk(p.keepAlive);
  p.reset(false);
  p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'));
  t.notOk(p.closed(), 'a close before Content-Length is reached cuts the answer short');
  t.match(read('HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n'), { end: 49, status: 304, bytes: 0 });
  t.match(read('HTTP/1.1 204 No Content\r\n\r\n'), { status: 204, bytes: 0, keepAlive: true });
  t.match(read('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno'), { status: 404, body: 'no' });
  t.match(read('HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n'), { status: 200, keepAlive: false });
  t.match(read('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'), { keepAlive: false });
  t.match(read('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n'), { keepAlive: true });
  t.match(read('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok'), { body: 'ok' }, 'a list of one length is that length');
});

t.test('malformed or oversized answers throw ResponseParseError', async (t) => {
  const small: ResponseLimits = { maxHeadBytes: 256, maxHeaders: 4, maxKeptBody: 16 };
  const bad: Array<[string, string, ResponseLimits?]> = [
    ['ICY 200 OK\r\n\r\n', 'status line'],
    ['HTTP/1.1 2000 OK\r\n\r\n', 'status code'],
    ['HTTP/1.1 200 OK\r\nno colon\r\n\r\n', 'field without a colon'],
    ['HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n', 'field name with a space'],
    ['HTTP/1.1 200 OK\r\nX-Media-Cache-Status: a\x00b\r\n\r\n', 'NUL in a value that is read'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'conflicting lengths'],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'negative length'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'chunk size not hex'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', 'chunk longer than its size'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;' + 'x'.repeat(2000), 'chunk-size line too long'],
    ['HTTP/1.1 101 Switching Protocols\r\n\r\n', 'protocol switch'],
    ['HTTP/1.1 100 Continue\r\n\r\n'.repeat(10), 'endless interim answers'],
    ['HTTP/1.1 200 OK\r\nx: ' + 'y'.repeat(300) + '\r\n\r\n', 'head over the limit', small],
    ['HTTP/1.1 200 OK\r\n' + 'x: y\r\n'.repeat(5) + '\r\n', 'too many fields', small],
    ['HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n' + 'z'.repeat(20), 'kept body over the limit', small],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n' + 'x: y\r\n'.repeat(60), 'trailers over the limit', small],
  ];
  for (const [raw, what, limits] of bad) {
    t.throws(() => read(raw, [], true, limits), { name: 'ResponseParseError' }, what);
    // The same, one byte at a time: limits hold whatever the reads' sizes.
    t.throws(() => read(raw, [...Array(raw.length).keys()], true, limits), { name: 'ResponseParseError' }, `${what}, byte by byte`);
  }
  t.doesNotThrow(() => read('HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n' + 'z'.repeat(20), [], false, small), 'a counted body has no size limit');
});

t.test('fuzz (seeded): broken answers throw only ResponseParseError, never keep more than the limits allow', async (t) => {
  const random = seededRandom(20261126);
  const limits: ResponseLimits = { maxHeadBytes: 1024, maxHeaders: 16, maxKeptBody: 4096 };
  const seeds = [plain, chunked, 'HTTP/1.1 200 OK\r\n\r\nuntil close', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'];
  const alphabet = '\r\n:; 0123456789abcdefHTTP/1.chunked-Length\x00\xff';
  let parsed = 0;
  let refused = 0;
  for (let i = 0; i < 5000; i++) {
    const chars = [...seeds[i % seeds.length]!];
    const edits = 1 + Math.floor(random() * 6);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * (chars.length + 1));
      const op = random();
      const c = alphabet[Math.floor(random() * alphabet.length)]!;
      if (op < 0.4) chars.splice(at, 1);
      else if (op < 0.7) chars.splice(at, 0, c.repeat(1 + Math.floor(random() * (random() < 0.1 ? 3000 : 3))));
      else chars[at] = c;
    }
    const raw = chars.join('');
    const cuts = Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * raw.length));
    try {
      const r = read(raw, cuts.sort((a, b) => a - b), true, limits);
      if (!(r.end <= raw.length && r.body.length <= limits.maxKeptBody)) t.fail(`case ${i}: end ${r.end}, kept ${r.body.length}`);
      parsed++;
    } catch (err) {
      if (!(err instanceof ResponseParseError)) t.fail(`case ${i}: ${(err as Error).stack}`);
      refused++;
    }
  }
  t.ok(parsed > 500 && refused > 500, `${parsed} read, ${refused} refused`);
});
