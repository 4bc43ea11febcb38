import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ffprobeJson, publish, startOrigin, waitFor, type Origin } from './origin-harness';
import { MSG_VIDEO, RtmpTestClient } from '../fixtures/rtmp-client';
import { avcRecord, avcSequenceHeader, baselineSps, hostileSps } from '../fixtures/h264-bits';

/** Resident memory of a process, in bytes. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** The origin's log reaches us through a pipe, possibly after the socket event that caused it. */
async function expectLog(t: { ok(v: unknown, message: string): unknown }, origin: Origin, re: RegExp): Promise<void> {
  const found = await waitFor(`log line ${re}`, () => re.test(origin.log()) || undefined, 10_000, 50).catch(() => false);
  t.ok(found, `logged: ${re.source}`);
}

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return res.ok;
}

/**
 * The chunk-stream attack: a 4-byte chunk size, then on each of `count` chunk streams a type 0
 * header announcing a `length`-byte video message and its first 4-byte chunk (about 20 bytes each).
 */
function chunkStreamAttack(count: number, length: number): Buffer {
  const size = Buffer.from([0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 4]);
  const parts: Buffer[] = [size];
  for (let i = 0; i < count; i++) {
    const csid = 3 + i;
    const basic = csid < 64 ? Buffer.from([csid]) : csid < 320 ? Buffer.from([0, csid - 64]) : Buffer.from([1, (csid - 64) & 0xff, (csid - 64) >> 8]);
    const mh = Buffer.alloc(11);
    mh.writeUIntBE(length, 3, 3);
    mh[6] = MSG_VIDEO;
    mh.writeUInt32LE(1, 7);
    parts.push(basic, mh, Buffer.alloc(4));
  }
  return Buffer.concat(parts);
}

t.test('the 33-byte SPS attack: publish refused, the origin and other streams carry on', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off' });
  publish(t, origin.rtmp('honest'), { size: '320x180' });
  const variant = origin.url('/hls/honest_1280/index.m3u8');
  await waitFor('honest stream live', async () => ((await fetch(variant)).ok ? true : undefined));
  const evil = await RtmpTestClient.open(origin.rtmpPort);
  const { streamId, status } = await evil.startPublish('evil');
  t.match(status, { code: 'NetStream.Publish.Start' });
  const attack = avcSequenceHeader(avcRecord(hostileSps()));
  evil.sendTag(MSG_VIDEO, streamId, 0, attack);
  await Promise.race([evil.closed, new Promise((r) => setTimeout(r, 20_000))]);
  t.ok(evil.isClosed, 'the publisher was dropped');
  t.ok(await healthy(origin.url('/healthz')), '/healthz answers');
  await expectLog(t, origin, /"code":"SC_ERR_CODEC_CONFIG"[^\n]*"stream":"evil"[^\n]*num_ref_frames_in_pic_order_cnt_cycle/);
  await waitFor('evil stream ended', async () => {
    const stat = await (await fetch(origin.url('/stat?format=json'))).json();
    return stat.streams.every((s: { name: string }) => s.name !== 'evil') || undefined;
  });
  const before = await (await fetch(variant)).text();
  await waitFor('the honest stream keeps getting segments', async () => ((await (await fetch(variant)).text()) !== before ? true : undefined));
  // A valid configuration on another connection still goes through the same parser.
  const good = await RtmpTestClient.open(origin.rtmpPort);
  const ok = await good.startPublish('good');
  good.sendTag(MSG_VIDEO, ok.streamId, 0, avcSequenceHeader(avcRecord(baselineSps(80, 45))));
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(good.isClosed, 'a valid sequence header is accepted');
  good.close();
});

t.test('800 chunk streams announcing 16 MB each: closed at once, memory stays bounded', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off' });
  const pid = origin.proc.pid!;
  const before = rss(pid);
  // Several rounds: node-media-server's allocations only became resident once glibc reused freed memory (9 GB by the 4th).
  for (let round = 0; round < 4; round++) {
    const big = await RtmpTestClient.open(origin.rtmpPort);
    big.sendRaw(chunkStreamAttack(800, 0xffffff));
    await Promise.race([big.closed, new Promise((r) => setTimeout(r, 10_000))]);
    t.ok(big.isClosed, `16 MB announcements close the connection (round ${round + 1})`);
  }
  // Under the pre-publish limit, the chunk stream count stops it instead.
  const many = await RtmpTestClient.open(origin.rtmpPort);
  many.sendRaw(chunkStreamAttack(800, 60_000));
  await Promise.race([many.closed, new Promise((r) => setTimeout(r, 10_000))]);
  t.ok(many.isClosed, 'more than 32 chunk streams close the connection');
  await expectLog(t, origin, /exceeds the limit of 65536/);
  await expectLog(t, origin, /more than 32 chunk streams/);
  t.ok(await healthy(origin.url('/healthz')));
  const growth = rss(pid) - before;
  t.comment(`origin RSS ${(before / 2 ** 20).toFixed(0)} MB before, growth ${(growth / 2 ** 20).toFixed(1)} MB`);
  t.ok(growth < 64 * 2 ** 20, `RSS grew ${growth} bytes (node-media-server: gigabytes)`);
});

t.test('a second publish and FCUnpublish + deleteStream free their MAX_STREAMS slots', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off', MAX_STREAMS: '3' });
  const a = await RtmpTestClient.open(origin.rtmpPort);
  t.match((await a.startPublish('a1')).status, { code: 'NetStream.Publish.Start' });
  t.match(await a.publish('a2', 1), { code: 'NetStream.Publish.Start' }, 'a second publish on the same connection');
  // Encoders using the digest handshake (either scheme) get through it as well.
  const b = await RtmpTestClient.open(origin.rtmpPort, { digest: 1 });
  t.match((await b.startPublish('b1')).status, { code: 'NetStream.Publish.Start' });
  b.command('FCUnpublish', null, ['b1']);
  b.command('deleteStream', null, [1]);
  const c = await RtmpTestClient.open(origin.rtmpPort, { digest: 0 });
  t.match((await c.startPublish('c1')).status, { code: 'NetStream.Publish.Start' });
  c.command('deleteStream', null, [1]);
  await waitFor('only a2 is live', async () => {
    const stat = await (await fetch(origin.url('/stat?format=json'))).json();
    return stat.streams.length === 1 && stat.streams[0].name === 'a2' ? true : undefined;
  });
  t.notOk(a.isClosed || b.isClosed || c.isClosed, 'the connections stay open');
  // The names are free again and two honest publishers fit beside a2.
  const again = await RtmpTestClient.open(origin.rtmpPort);
  t.match((await again.startPublish('a1')).status, { code: 'NetStream.Publish.Start' }, 'the first name was released');
  const honest = publish(t, origin.rtmp('honest'), { size: '320x180' });
  await waitFor('an honest publisher gets the third slot', async () => ((await fetch(origin.url('/hls/honest.m3u8'))).ok ? true : undefined));
  t.equal(honest.proc.exitCode, null);
  for (const x of [a, b, c, again]) x.close();
});

t.test('refused publishers hear BadName or Rejected with the reason, never Publish.Start', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off', PUBLISH_KEYS: 'cam=s3cret', MAX_STREAMS: '2' });
  const refused = async (name: string, app = 'live') => {
    const c = await RtmpTestClient.open(origin.rtmpPort);
    const { status } = await c.startPublish(name, app);
    await Promise.race([c.closed, new Promise((r) => setTimeout(r, 5000))]);
    t.ok(c.isClosed, `${app}/${name}: the connection is closed after the answer`);
    t.notOk(c.commands.some((x) => x.name === 'onStatus' && (x.args[0] as { code?: string })?.code === 'NetStream.Publish.Start'));
    return status;
  };
  t.match(await refused('cam'), { level: 'error', code: 'NetStream.Publish.Rejected', description: /wrong or missing \?key=/ });
  t.match(await refused('cam?key=nope'), { code: 'NetStream.Publish.Rejected', description: /key/ });
  t.match(await refused('bad name!'), { code: 'NetStream.Publish.BadName', description: /stream names/ });
  t.match(await refused('x', 'other'), { code: 'NetStream.Publish.BadName', description: /unknown application/ });
  const first = await RtmpTestClient.open(origin.rtmpPort);
  t.match((await first.startPublish('cam?key=s3cret')).status, { code: 'NetStream.Publish.Start' });
  t.match(await refused('cam?key=s3cret'), { code: 'NetStream.Publish.BadName', description: /already has a publisher/ });
  const second = await RtmpTestClient.open(origin.rtmpPort);
  t.match((await second.startPublish('two')).status, { code: 'NetStream.Publish.Start' });
  t.match(await refused('three'), { code: 'NetStream.Publish.Rejected', description: /MAX_STREAMS \(2\)/ });
  first.close();
  second.close();
});

t.test('connections per address are capped; a handshake must complete in time', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off', RTMP_MAX_CONNECTIONS_PER_IP: '3', RTMP_HANDSHAKE_TIMEOUT: '1' });
  const slow = await RtmpTestClient.open(origin.rtmpPort, { handshake: false });
  slow.sendRaw(Buffer.from([3, 0, 0, 0]));
  await Promise.race([slow.closed, new Promise((r) => setTimeout(r, 10_000))]);
  t.ok(slow.isClosed, 'a connection stuck in the handshake is closed');
  await expectLog(t, origin, /RTMP handshake not completed in time/);
  const open = await Promise.all([0, 1, 2].map(() => RtmpTestClient.open(origin.rtmpPort)));
  const fourth = await RtmpTestClient.open(origin.rtmpPort, { handshake: false });
  await Promise.race([fourth.closed, new Promise((r) => setTimeout(r, 5000))]);
  t.ok(fourth.isClosed, 'the fourth connection is closed');
  await expectLog(t, origin, /RTMP_MAX_CONNECTIONS_PER_IP \(3\)/);
  open[0]!.close();
  await open[0]!.closed;
  await waitFor('a slot is free again', async () => {
    const c = await RtmpTestClient.open(origin.rtmpPort);
    const ok = (await c.connect()) !== undefined;
    c.close();
    return ok || undefined;
  });
  for (const c of open) c.close();
});

t.test('a publisher faster than real time is dropped; a live one publishes and plays', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off' });
  const live = publish(t, origin.rtmp('live1'), { size: '320x180' });
  // A file pushed without -re: ffmpeg sends as fast as it can encode.
  const flood = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=30', '-t', '600', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-f', 'flv', origin.rtmp('flood')], { stdio: 'ignore' });
  const floodExit = new Promise<number | null>((r) => flood.once('exit', (code) => r(code)));
  t.teardown(() => {
    if (flood.exitCode === null) flood.kill('SIGKILL');
  });
  const code = await Promise.race([floodExit, new Promise<'running'>((r) => setTimeout(() => r('running'), 60_000))]);
  t.not(code, 'running', 'the flooding ffmpeg was cut off long before its 600 s of media');
  await expectLog(t, origin, /"code":"SC_ERR_INGEST_RATE"[^\n]*"stream":"flood"[^\n]*real time/);
  await waitFor('live stream playlist', async () => ((await fetch(origin.url('/hls/live1.m3u8'))).ok ? true : undefined));
  await waitFor('live stream has segments', async () => ((await (await fetch(origin.url('/hls/live1_1280/index.m3u8'))).text()).includes('#EXTINF') ? true : undefined));
  const probe = ffprobeJson(origin.url('/hls/live1.m3u8'));
  t.ok(probe.streams.some((s: { codec_type: string; width?: number }) => s.codec_type === 'video' && s.width === 320), 'ffprobe plays the -re publisher');
  t.equal(live.proc.exitCode, null, 'the -re publisher is still going');
});
