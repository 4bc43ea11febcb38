import t from 'tap';
import { ChunkReader, type RtmpMessage } from '../../src/origin/rtmp/chunk-reader';
import { encodeMessage } from '../../src/origin/rtmp/chunk-writer';
import { decodeAmf0, encodeAmf0, COMMAND_LIMITS } from '../../src/origin/rtmp/amf0';
import { digestC1, digestScheme, HANDSHAKE_SIZE, serverHandshake, ServerHandshake, validServerDigest } from '../../src/origin/rtmp/handshake';
import { RtmpConnection, type PublishRequest } from '../../src/origin/rtmp/rtmp-connection';

const protocolError = { code: 'SC_ERR_RTMP_PROTOCOL' };
const limits = () => ({ maxMessageSize: 64 * 1024, maxChunkStreams: 32, maxChunkSize: 16 * 1024 * 1024 });

function read(bytes: Buffer, opts = limits()): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  new ChunkReader(opts).push(bytes, (m) => out.push(m));
  return out;
}

/** Chunk headers by hand: basic header (fmt, csid) + message header fields. */
function header(fmt: number, csid: number, fields: { ts?: number; len?: number; type?: number; sid?: number; ext?: number } = {}): Buffer {
  const basic = csid < 64 ? Buffer.from([(fmt << 6) | csid]) : csid < 320 ? Buffer.from([fmt << 6, csid - 64]) : Buffer.from([(fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8]);
  const mh = Buffer.alloc([11, 7, 3, 0][fmt]!);
  if (fmt < 3) mh.writeUIntBE(fields.ts ?? 0, 0, 3);
  if (fmt < 2) {
    mh.writeUIntBE(fields.len ?? 0, 3, 3);
    mh[6] = fields.type ?? 9;
  }
  if (fmt === 0) mh.writeUInt32LE(fields.sid ?? 1, 7);
  const ext = fields.ext === undefined ? Buffer.alloc(0) : Buffer.alloc(4);
  if (fields.ext !== undefined) ext.writeUInt32BE(fields.ext);
  return Buffer.concat([basic, mh, ext]);
}

t.test('handshake: simple C1 is echoed in S2; digest C1 of either scheme gets a signed S1', async (t) => {
  const c1 = Buffer.alloc(HANDSHAKE_SIZE, 7);
  t.equal(digestScheme(c1), undefined);
  const simple = serverHandshake(c1);
  t.equal(simple.length, 1 + 2 * HANDSHAKE_SIZE);
  t.equal(simple[0], 3);
  t.same(simple.subarray(1 + HANDSHAKE_SIZE), c1, 'S2 echoes C1');
  for (const scheme of [0, 1] as const) {
    const dc1 = digestC1(scheme);
    t.equal(digestScheme(dc1), scheme);
    const s = serverHandshake(dc1);
    t.ok(validServerDigest(s.subarray(1, 1 + HANDSHAKE_SIZE), scheme), `S1 carries the server digest (scheme ${scheme})`);
    t.notSame(s.subarray(1 + HANDSHAKE_SIZE), dc1);
  }
});

t.test('handshake: incremental, split anywhere; wrong version refused; bytes after C2 handed on', async (t) => {
  const c0c1 = Buffer.concat([Buffer.from([3]), Buffer.alloc(HANDSHAKE_SIZE, 1)]);
  const c2 = Buffer.alloc(HANDSHAKE_SIZE, 2);
  const all = Buffer.concat([c0c1, c2, Buffer.from('next')]);
  for (const cut of [1, 2, 1537, 1538, 3072, 3073, 3074]) {
    const h = new ServerHandshake();
    const a = h.push(all.subarray(0, cut));
    const b = h.push(all.subarray(cut));
    t.equal([a.reply, b.reply].filter(Boolean).length, 1, `one reply (cut ${cut})`);
    t.ok(b.done);
    t.equal(b.rest.toString(), cut > 3073 ? 'next'.slice(cut - 3073) : 'next');
  }
  t.throws(() => new ServerHandshake().push(Buffer.from([6, 0, 0])), protocolError, 'encrypted RTMPE (version 6) is refused');
});

t.test('chunk reader: fmt 0/1/2/3 headers, interleaved streams, split at every byte boundary', async (t) => {
  const a = Buffer.alloc(300, 0xaa);
  const b = Buffer.alloc(50, 0xbb);
  const stream = Buffer.concat([
    header(0, 4, { ts: 1000, len: 300, type: 9, sid: 1 }), a.subarray(0, 128),
    header(0, 5, { ts: 1000, len: 50, type: 8, sid: 1 }), b,
    header(3, 4), a.subarray(128, 256),
    header(3, 4), a.subarray(256),
    header(2, 5, { ts: 20 }), b, // next audio: same length and type, +20 ms
    header(3, 5), b, // and again, +20 ms
    header(1, 4, { ts: 33, len: 10, type: 9 }), Buffer.alloc(10, 1),
  ]);
  const expected = [
    { csid: 5, type: 8, timestamp: 1000, len: 50 },
    { csid: 4, type: 9, timestamp: 1000, len: 300 },
    { csid: 5, type: 8, timestamp: 1020, len: 50 },
    { csid: 5, type: 8, timestamp: 1040, len: 50 },
    { csid: 4, type: 9, timestamp: 1033, len: 10 },
  ];
  const shape = (ms: RtmpMessage[]) => ms.map((m) => ({ csid: m.csid, type: m.type, timestamp: m.timestamp, len: m.payload.length }));
  t.same(shape(read(stream)), expected);
  t.same(read(stream)[1]!.payload, a);
  let allSplits = true;
  for (let cut = 1; cut < stream.length; cut++) {
    const out: RtmpMessage[] = [];
    const r = new ChunkReader(limits());
    r.push(stream.subarray(0, cut), (m) => out.push(m));
    r.push(stream.subarray(cut), (m) => out.push(m));
    if (JSON.stringify(shape(out)) !== JSON.stringify(expected)) allSplits = false;
  }
  t.ok(allSplits, 'same messages whatever the split');
  const bytewise: RtmpMessage[] = [];
  const r = new ChunkReader(limits());
  for (const byte of stream) r.push(Buffer.from([byte]), (m) => bytewise.push(m));
  t.same(shape(bytewise), expected, 'one byte at a time');
});

t.test('chunk reader: extended timestamps, 2- and 3-byte chunk stream ids, SET_CHUNK_SIZE and ABORT', async (t) => {
  const ext = encodeMessage({ csid: 300, type: 9, streamId: 1, timestamp: 0x12345678, payload: Buffer.alloc(200, 3) }, 128);
  const m = read(ext);
  t.same(m.map((x) => [x.csid, x.timestamp, x.payload.length]), [[300, 0x12345678, 200]], 'extended timestamp repeated in the type 3 chunk');
  t.same(read(encodeMessage({ csid: 100, type: 8, streamId: 1, timestamp: 5, payload: Buffer.alloc(3) }, 128))[0]!.csid, 100);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(4096);
  const big = Buffer.alloc(3000, 9);
  const msgs = read(Buffer.concat([encodeMessage({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: size }, 128), encodeMessage({ csid: 6, type: 9, streamId: 1, timestamp: 0, payload: big }, 4096)]));
  t.same(msgs.map((x) => x.type), [1, 9], 'the new chunk size applies to the next chunk');
  t.same(msgs[1]!.payload, big);
  const abort = Buffer.alloc(4);
  abort.writeUInt32BE(6);
  const aborted = read(Buffer.concat([header(0, 6, { len: 300, type: 9 }), Buffer.alloc(128), encodeMessage({ csid: 2, type: 2, streamId: 0, timestamp: 0, payload: abort }, 128), header(0, 6, { len: 5, type: 9 }), Buffer.alloc(5, 1)]));
  t.same(aborted.map((x) => [x.type, x.payload.length]), [[2, 4], [9, 5]], 'the aborted message is dropped');
});

t.test('chunk reader limits: message size, chunk streams, chunk size, headerless streams', async (t) => {
  t.throws(() => read(header(0, 4, { len: 0xffffff })), { code: 'SC_ERR_RTMP_PROTOCOL', message: /exceeds the limit of 65536/ });
  const streams = Buffer.concat(Array.from({ length: 33 }, (_, i) => Buffer.concat([header(0, 3 + i, { len: 1 }), Buffer.from([0])])));
  t.throws(() => read(streams), { message: /more than 32 chunk streams/ });
  for (const bad of [0, 16 * 1024 * 1024 + 1]) {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(bad);
    t.throws(() => read(encodeMessage({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: p }, 128)), { message: /chunk size/ }, `chunk size ${bad}`);
  }
  t.throws(() => read(Buffer.from([(3 << 6) | 9])), { message: /without a message header/ });
  const size500 = Buffer.alloc(4);
  size500.writeUInt32BE(500);
  const partial = (csid: number) => Buffer.concat([header(0, csid, { len: 1000 }), Buffer.alloc(500)]);
  const interleaved = Buffer.concat([encodeMessage({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: size500 }, 128), partial(4), partial(5), partial(6), header(0, 7, { len: 1000 })]);
  t.throws(() => read(interleaved, { maxMessageSize: 1000, maxChunkStreams: 32, maxChunkSize: 1 << 24 }), { message: /unfinished/ }, 'unfinished messages together are bounded too');
  const r = new ChunkReader({ maxMessageSize: 20 * 1024 * 1024, maxChunkStreams: 32, maxChunkSize: 1 << 24 });
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 30; i++) r.push(Buffer.concat([header(0, 3 + i, { len: 0xffffff }), Buffer.alloc(1)]), () => undefined);
  t.ok(process.memoryUsage().arrayBuffers - before < 8 * 1024 * 1024, 'announcing 30 x 16 MB allocates nothing up front');
});

t.test('AMF0: round trip, and bounded decoding', async (t) => {
  const values = ['connect', 1, { app: 'live', nested: { ok: true, n: null, u: undefined } }, [1, 'two'], new Date(5)];
  t.same(decodeAmf0(encodeAmf0(...values)), values);
  let deep = encodeAmf0(1);
  for (let i = 0; i < 20; i++) deep = Buffer.concat([Buffer.from([3, 0, 1, 0x61]), deep, Buffer.from([0, 0, 9])]);
  t.throws(() => decodeAmf0(deep), { message: /deeper/ });
  const strict = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0]);
  t.throws(() => decodeAmf0(strict), { message: /strict array/ }, 'a strict array claiming 2^32 elements fails at once');
  const many = Buffer.concat([Buffer.from([0x0a, 0, 0, 3, 0]), Buffer.alloc(768 * 9)]);
  t.throws(() => decodeAmf0(many), { message: /exceeds the limit/ });
  const longStr = Buffer.from([0x0c, 0, 1, 0, 0]);
  t.throws(() => decodeAmf0(longStr), { message: /string of 65536 bytes/ });
  t.throws(() => decodeAmf0(Buffer.alloc(COMMAND_LIMITS.maxBytes + 1)), { message: /exceed/ });
  t.throws(() => decodeAmf0(Buffer.from([0x11, 0x02])), { message: /AMF3/ });
  t.throws(() => decodeAmf0(Buffer.from([0x07, 0, 1])), { message: /unsupported type marker/ });
  t.throws(() => decodeAmf0(Buffer.from([0x02, 0, 5, 0x61])), { message: /truncated/ });
  t.throws(() => decodeAmf0(Buffer.from([0x03, 0, 1, 0x61])), { message: /truncated/ });
  const proto = decodeAmf0(Buffer.from([0x03, 0, 9, ...Buffer.from('__proto__'), 0x01, 1, 0, 0, 9]))[0] as Record<string, unknown>;
  t.equal(proto['__proto__'], true, '__proto__ is an own property, not a prototype');
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  const ecma = Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0, 1, 0x61, 0, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
  t.same(decodeAmf0(ecma), [{ a: 1 }], 'an ECMA array count is a hint only');
});

interface Recorded {
  sent: Buffer[];
  publishes: PublishRequest[];
  unpublished: string[];
  media: Array<[number, number, number]>;
}

function connection(): { conn: RtmpConnection; rec: Recorded; replies: () => Array<{ name: string; args: unknown[] }>; feed: (...m: Array<{ type: number; payload: Buffer; streamId?: number }>) => void } {
  const rec: Recorded = { sent: [], publishes: [], unpublished: [], media: [] };
  const conn = new RtmpConnection(
    { preAuthMaxMessage: 64 * 1024, maxMessage: 1 << 20, maxChunkStreams: 32, maxChunkSize: 1 << 24, maxStreams: 4 },
    {
      send: (d) => rec.sent.push(d),
      publish: (req) => rec.publishes.push(req),
      unpublish: (reason) => rec.unpublished.push(reason),
      media: (type, ts, body) => rec.media.push([type, ts, body.length]),
      play: () => undefined,
    },
  );
  conn.receive(Buffer.concat([Buffer.from([3]), Buffer.alloc(HANDSHAKE_SIZE), Buffer.alloc(HANDSHAKE_SIZE)]));
  const replies = () => {
    const out: Array<{ name: string; args: unknown[] }> = [];
    const r = new ChunkReader({ maxMessageSize: 1 << 20, maxChunkStreams: 32, maxChunkSize: 1 << 24 });
    r.push(Buffer.concat(rec.sent).subarray(1 + 2 * HANDSHAKE_SIZE), (m) => {
      if (m.type === 20) {
        const [name, ...args] = decodeAmf0(m.payload);
        out.push({ name: String(name), args });
      }
    });
    return out;
  };
  const feed = (...ms: Array<{ type: number; payload: Buffer; streamId?: number }>) => {
    for (const m of ms) conn.receive(encodeMessage({ csid: m.type === 20 ? 3 : 6, type: m.type, streamId: m.streamId ?? 0, timestamp: 40, payload: m.payload }, 128));
  };
  return { conn, rec, replies, feed };
}

const cmd = (...v: Parameters<typeof encodeAmf0>) => ({ type: 20, payload: encodeAmf0(...v) });

t.test('connection: Publish.Start only after accept; refusals get BadName/Rejected', async (t) => {
  const { conn, rec, replies, feed } = connection();
  feed(cmd('connect', 1, { app: 'live' }), cmd('releaseStream', 2, null, 'cam'), cmd('FCPublish', 3, null, 'cam'), cmd('createStream', 4, null));
  t.match(replies().map((r) => r.name), ['_result', '_result', '_result', '_result']);
  t.equal(replies()[3]!.args[2], 1, 'createStream returns stream 1');
  feed({ ...cmd('publish', 5, null, 'cam?key=k', 'live'), streamId: 1 });
  t.same(rec.publishes, [{ app: 'live', name: 'cam', query: { key: 'k' }, streamId: 1 }]);
  t.notOk(replies().some((r) => r.name === 'onStatus'), 'nothing is promised before the checks');
  feed({ type: 9, payload: Buffer.alloc(10), streamId: 1 });
  t.equal(rec.media.length, 1, 'media while authorizing is handed on (the owner holds it)');
  conn.accept();
  t.match(replies().at(-1)!.args[2], { code: 'NetStream.Publish.Start' });
  // Metadata loses its RTMP-only "@setDataFrame" prefix on the way to FLV.
  feed({ type: 18, payload: encodeAmf0('@setDataFrame', 'onMetaData', { width: 1 }), streamId: 1 });
  t.equal(rec.media.at(-1)![2], encodeAmf0('onMetaData', { width: 1 }).length);

  const refused = connection();
  refused.feed(cmd('connect', 1, { app: 'live' }), cmd('createStream', 2, null), { ...cmd('publish', 3, null, 'cam', 'live'), streamId: 1 });
  refused.conn.reject('NetStream.Publish.BadName', 'stream cam already has a publisher');
  t.match(refused.replies().at(-1)!.args[2], { level: 'error', code: 'NetStream.Publish.BadName', description: /already has a publisher/ });
  t.notOk(refused.replies().some((r) => (r.args[2] as { code?: string })?.code === 'NetStream.Publish.Start'));
});

t.test('connection: a query in the server URL (the app) joins the stream name\'s', async (t) => {
  const { rec, feed } = connection();
  feed(cmd('connect', 1, { app: 'live?key=app-key&exp=5' }), cmd('createStream', 2, null), { ...cmd('publish', 3, null, 'cam?exp=9', 'live'), streamId: 1 });
  t.same(rec.publishes, [{ app: 'live', name: 'cam', query: { key: 'app-key', exp: '9' }, streamId: 1 }], "the stream name's own parameters win");
});

t.test('connection: a second publish, FCUnpublish and deleteStream end the publish now', async (t) => {
  const { conn, rec, feed } = connection();
  feed(cmd('connect', 1, { app: 'live' }), cmd('createStream', 2, null), { ...cmd('publish', 3, null, 'one', 'live'), streamId: 1 });
  conn.accept();
  feed({ ...cmd('publish', 4, null, 'two', 'live'), streamId: 1 });
  t.same(rec.unpublished, ['a new publish on the same connection']);
  t.same(rec.publishes.map((p) => p.name), ['one', 'two']);
  conn.accept();
  feed(cmd('FCUnpublish', 5, null, 'two'), cmd('deleteStream', 6, null, 1));
  t.same(rec.unpublished, ['a new publish on the same connection', 'FCUnpublish'], 'FCUnpublish ended it; deleteStream finds nothing more');
  feed(cmd('createStream', 7, null), { ...cmd('publish', 8, null, 'three', 'live'), streamId: 2 }, cmd('deleteStream', 9, null, 2));
  t.same(rec.unpublished.at(-1), 'deleteStream');
  feed({ type: 9, payload: Buffer.alloc(10), streamId: 2 });
  t.equal(rec.media.length, 0, 'no media is handed on without a publish');
});

t.test('connection: protocol rules and limits', async (t) => {
  t.throws(() => connection().feed(cmd('createStream', 1, null)), { message: /before connect/ });
  const twice = connection();
  twice.feed(cmd('connect', 1, { app: 'live' }));
  t.throws(() => twice.feed(cmd('connect', 2, { app: 'live' })), { message: /second connect/ });
  const many = connection();
  many.feed(cmd('connect', 1, { app: 'live' }));
  t.throws(() => {
    for (let i = 0; i < 5; i++) many.feed(cmd('createStream', 2 + i, null));
  }, { message: /more than 4 streams/ });
  const unknown = connection();
  unknown.feed(cmd('connect', 1, { app: 'live' }));
  t.throws(() => unknown.feed({ ...cmd('publish', 2, null, 'x'), streamId: 7 }), { message: /createStream did not return/ });
  // Type 17 (AMF3 command) as ffmpeg sends it: one 0 byte, then AMF0.
  const amf3 = connection();
  amf3.feed({ type: 17, payload: Buffer.concat([Buffer.from([0]), encodeAmf0('connect', 1, { app: 'live' })]) });
  t.equal(amf3.conn.appName, 'live');
  t.throws(() => amf3.feed({ type: 17, payload: Buffer.from([0x11, 0x06]) }), { message: /AMF3/ });
  // The peer's acknowledgement window is honoured.
  const ack = connection();
  const w = Buffer.alloc(4);
  w.writeUInt32BE(1000);
  ack.feed({ type: 5, payload: w }, cmd('connect', 1, { app: 'live', pad: 'x'.repeat(1200) }));
  const r = new ChunkReader({ maxMessageSize: 1 << 20, maxChunkStreams: 32, maxChunkSize: 1 << 24 });
  const types: number[] = [];
  r.push(Buffer.concat(ack.rec.sent).subarray(1 + 2 * HANDSHAKE_SIZE), (m) => types.push(m.type));
  t.ok(types.includes(3), 'an Acknowledgement was sent');
  // Media before authorization is limited to command-sized messages.
  const early = connection();
  early.feed(cmd('connect', 1, { app: 'live' }));
  t.throws(() => early.conn.receive(encodeMessage({ csid: 6, type: 9, streamId: 1, timestamp: 0, payload: Buffer.alloc(70_000) }, 128)), { message: /exceeds the limit of 65536/ });
});
