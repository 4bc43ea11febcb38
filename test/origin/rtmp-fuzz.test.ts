import t from 'tap';
import { readFileSync } from 'node:fs';
import { publish, startOrigin, waitFor } from './origin-harness';
import { MSG_AUDIO, MSG_DATA, MSG_VIDEO, RtmpTestClient } from '../fixtures/rtmp-client';
import { avcRecord, avcSequenceHeader, baselineSps } from '../fixtures/h264-bits';
import { encodeMessage } from '../../src/origin/rtmp/chunk-writer';
import { encodeAmf0, type Amf0Value } from '../../src/origin/rtmp/amf0';
import { seededRandom, type RandomSource } from '../../src/loadtest/think-time';

// Seeded so a failure replays: SEED=<n> overrides it. Bounded by case count and by time.
const SEED = Number(process.env.SEED ?? 20261126);
const MAX_CASES = 4000;
const BUDGET_MS = 25_000;
const WORKERS = 6;

type Rnd = RandomSource;
const int = (r: Rnd, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rnd, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const bytes = (r: Rnd, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

/** One to four byte-level mutations: flips, interesting values, inserts, deletes, duplicates, truncation. */
function mutate(r: Rnd, input: Buffer): Buffer {
  let b = Buffer.from(input);
  for (let n = 1 + int(r, 4); n > 0 && b.length; n--) {
    const at = int(r, b.length);
    switch (int(r, 7)) {
      case 0:
        b[at] = b[at]! ^ (1 << int(r, 8));
        break;
      case 1:
        b[at] = pick(r, [0, 1, 0x7f, 0x80, 0xfe, 0xff]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), bytes(r, 1 + int(r, 16)), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(r, 16))]);
        break;
      case 4: {
        const len = 1 + int(r, 32);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
        break;
      }
      case 5:
        b = b.subarray(0, at);
        break;
      default:
        if (at + 3 <= b.length) b.writeUIntBE(pick(r, [0, 0xffffff, 0x7fffff, 65536, 1]), at, 3);
    }
  }
  return b;
}

/** A random AMF0 value tree, sometimes deep or wide. */
function amfValue(r: Rnd, depth = 0): Amf0Value {
  switch (int(r, depth > 4 ? 5 : 8)) {
    case 0:
      return r() * 1e6;
    case 1:
      return r() < 0.5;
    case 2:
      return 'x'.repeat(int(r, r() < 0.1 ? 70_000 : 40));
    case 3:
      return null;
    case 4:
      return undefined;
    case 5:
      return Array.from({ length: int(r, 8) }, () => amfValue(r, depth + 1));
    default: {
      const o: Record<string, Amf0Value> = {};
      for (let i = int(r, 8); i > 0; i--) o[pick(r, ['app', 'tcUrl', 'flashVer', '__proto__', 'constructor', `k${i}`])] = amfValue(r, depth + 1);
      return o;
    }
  }
}

const COMMANDS = ['connect', 'createStream', 'publish', 'FCPublish', 'releaseStream', 'FCUnpublish', 'deleteStream', 'closeStream', 'play', '_checkbw', 'x'];

function amfCase(r: Rnd): Buffer {
  const values: Amf0Value[] = [pick(r, COMMANDS), int(r, 10), amfValue(r), ...Array.from({ length: int(r, 3) }, () => amfValue(r))];
  let payload = encodeAmf0(...values);
  if (r() < 0.5) payload = mutate(r, payload);
  const type = r() < 0.2 ? 17 : 20;
  if (type === 17) payload = Buffer.concat([Buffer.from([r() < 0.9 ? 0 : 3]), payload]);
  return encodeMessage({ csid: 3, type, streamId: int(r, 3), timestamp: 0, payload }, 128);
}

function codecCase(r: Rnd, streamId: number): Buffer {
  const body = r() < 0.6
    ? avcSequenceHeader(avcRecord(baselineSps(1 + int(r, 300), 1 + int(r, 200), pick(r, [30, 31, 40, 51]))))
    : Buffer.concat([Buffer.from([0xaf, 0]), bytes(r, 2 + int(r, 4))]);
  const type = body[0] === 0xaf ? MSG_AUDIO : MSG_VIDEO;
  return encodeMessage({ csid: type === MSG_AUDIO ? 4 : 6, type, streamId, timestamp: 0, payload: mutate(r, body) }, 128);
}

function flvCase(r: Rnd, streamId: number, ts: number): Buffer {
  const kind = int(r, 5);
  let type: number = MSG_VIDEO;
  let body: Buffer;
  if (kind === 0) body = Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 8, 0x65]), bytes(r, 7 + int(r, 2000))]);
  else if (kind === 1) body = Buffer.concat([Buffer.from([0x27, 1, 0, 0, 0x21]), bytes(r, int(r, 500))]);
  else if (kind === 2) body = Buffer.concat([Buffer.from([0x90 | int(r, 16)]), Buffer.from(pick(r, ['hvc1', 'av01', 'vp09', 'avc1'])), bytes(r, int(r, 200))]);
  else if (kind === 3) {
    type = MSG_AUDIO;
    body = Buffer.concat([Buffer.from([pick(r, [0xaf, 0x2f, 0x9f]), 1]), bytes(r, int(r, 400))]);
  } else {
    type = MSG_DATA;
    body = encodeAmf0('@setDataFrame', 'onMetaData', amfValue(r));
  }
  if (r() < 0.5) body = mutate(r, body);
  return encodeMessage({ csid: type === MSG_AUDIO ? 4 : type === MSG_DATA ? 5 : 6, type, streamId, timestamp: ts, payload: body }, pick(r, [128, 128, 4096]));
}

/** A valid publish session as chunks (random chunk size), to be mutated as a whole. */
function sessionBytes(r: Rnd, name: string): Buffer {
  const size = pick(r, [64, 128, 1000, 4096]);
  const cs = Buffer.alloc(4);
  cs.writeUInt32BE(size);
  const cmd = (streamId: number, ...v: Amf0Value[]) => encodeMessage({ csid: 3, type: 20, streamId, timestamp: 0, payload: encodeAmf0(...v) }, size);
  return Buffer.concat([
    encodeMessage({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: cs }, 128),
    cmd(0, 'connect', 1, { app: 'live', tcUrl: 'rtmp://127.0.0.1/live' }),
    cmd(0, 'createStream', 2, null),
    cmd(1, 'publish', 3, null, name, 'live'),
    encodeMessage({ csid: 6, type: 9, streamId: 1, timestamp: 0, payload: avcSequenceHeader(avcRecord(baselineSps(20, 12))) }, size),
    encodeMessage({ csid: 6, type: 9, streamId: 1, timestamp: 40, payload: Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0]), bytes(r, 300)]) }, size),
  ]);
}

function rss(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

t.test('fuzzed chunks, AMF commands, codec configs and FLV tags through the real RTMP port', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off', LOG_LEVEL: 'error', RTMP_MAX_CONNECTIONS_PER_IP: String(WORKERS * 4), RTMP_HANDSHAKE_TIMEOUT: '2', RTMP_IDLE_TIMEOUT: '5' });
  const pid = origin.proc.pid!;
  const rssBefore = rss(pid);
  const started = Date.now();
  let cases = 0;
  let published = 0;
  const counts: Record<string, number> = { chunks: 0, amf: 0, codec: 0, flv: 0 };
  const clients: RtmpTestClient[] = [];

  const worker = async (w: number) => {
    const r = seededRandom(SEED + w);
    let conn: { client: RtmpTestClient; streamId: number; publishing: boolean } | undefined;
    let ts = 0;
    while (cases < MAX_CASES && Date.now() - started < BUDGET_MS) {
      cases++;
      const kind = pick(r, ['chunks', 'amf', 'codec', 'flv'] as const);
      counts[kind]!++;
      if (kind === 'chunks') {
        const c = await RtmpTestClient.open(origin.rtmpPort);
        clients.push(c);
        c.sendRaw(mutate(r, sessionBytes(r, `fz${w}c`)));
        await Promise.race([c.closed, new Promise((res) => setTimeout(res, 5))]);
        c.close();
        continue;
      }
      if (!conn || conn.client.isClosed) {
        const client = await RtmpTestClient.open(origin.rtmpPort);
        clients.push(client);
        const needPublish = kind !== 'amf';
        if (needPublish) {
          const { streamId, status } = await client.startPublish(`fz${w}`);
          conn = { client, streamId, publishing: status?.code === 'NetStream.Publish.Start' };
          if (conn.publishing) published++;
        } else {
          await client.connect();
          conn = { client, streamId: 1, publishing: false };
        }
        ts = 0;
      }
      ts += int(r, 40);
      const data = kind === 'amf' ? amfCase(r) : kind === 'codec' ? codecCase(r, conn.streamId) : flvCase(r, conn.streamId, ts);
      conn.client.sendRaw(data);
      if (cases % 25 === 0) await new Promise((res) => setTimeout(res, 1));
      if (kind === 'amf' && r() < 0.3) conn.client.close();
    }
    conn?.client.close();
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  for (const c of clients) c.close();
  const elapsed = Date.now() - started;
  t.comment(`fuzz: ${cases} cases (${JSON.stringify(counts)}) in ${(elapsed / 1000).toFixed(1)} s, seed ${SEED}`);
  t.ok(published > 0, `${published} fuzzing publishes were accepted, so codec and FLV cases reached the packager`);

  const health = await fetch(origin.url('/healthz'), { signal: AbortSignal.timeout(5000) });
  t.ok(health.ok, '/healthz answers after the fuzz run');
  const growth = rss(pid) - rssBefore;
  t.comment(`origin RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB before, ${(growth / 2 ** 20).toFixed(1)} MB growth after`);
  t.ok(growth < 256 * 2 ** 20, `RSS growth ${growth} bytes is bounded`);
  t.equal(origin.proc.exitCode, null, 'the origin is still running');

  // And a real encoder still publishes.
  const pub = publish(t, origin.rtmp('after'), { size: '320x180' });
  await waitFor('real ffmpeg publish after the fuzz run', async () => ((await (await fetch(origin.url('/hls/after_1280/index.m3u8'))).text()).includes('#EXTINF') ? true : undefined));
  await pub.stop();
  t.equal(await origin.stop(), 0, 'the origin stops cleanly (SIGTERM honoured)');
});
