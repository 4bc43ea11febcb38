import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { parseMasterPlaylist, parseMediaPlaylist } from '../../src/shared/hls-playlist';
import { ffmpegChildren, ffprobeJson, publish, startOrigin, waitFor } from './origin-harness';

t.test('the reference publish becomes master + variant playlists with measured attributes', async (t) => {
  const origin = await startOrigin(t, { HLS_FORMAT: 'ts', HLS_FRAGMENT: '2', HLS_PLAYLIST_LENGTH: '6' });
  const pub = publish(t, origin.rtmp('test'));
  const master = await waitFor('master playlist', async () => {
    const r = await fetch(origin.url('/hls/test.m3u8'));
    return r.ok ? { text: await r.text(), headers: r.headers } : undefined;
  });
  t.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  t.equal(master.headers.get('cache-control'), 'max-age=1');
  t.equal(master.headers.get('access-control-allow-origin'), '*');
  const m = parseMasterPlaylist(master.text);
  t.equal(m.variants.length, 1);
  const v = m.variants[0];
  t.equal(v.uri, 'test_1280/index.m3u8');
  t.same(v.resolution, { width: 1280, height: 720 });
  t.match(v.codecs!.join(','), /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
  t.ok(v.bandwidth > 300_000 && v.bandwidth < 3_000_000, `BANDWIDTH ${v.bandwidth} is measured, near the 660 kbit/s published`);
  t.ok(Math.abs(v.frameRate! - 30) < 0.5, `FRAME-RATE ${v.frameRate}`);

  // Wait until the window has slid past the first segments.
  const variant = await waitFor('a sliding window', async () => {
    const r = await fetch(origin.url('/hls/test_1280/index.m3u8'));
    const p = parseMediaPlaylist(await r.text());
    return p.mediaSequence >= 3 ? p : undefined;
  }, 40_000);
  t.ok(variant.segments.length <= 4, `window holds ${variant.segments.length} segments for 6 s of 2 s fragments`);
  for (const s of variant.segments) t.ok(Math.abs(s.duration - 2) < 0.1, `segment ${s.uri} lasts ${s.duration}s`);
  const seg = variant.segments[0];
  const res = await fetch(origin.url(`/hls/test_1280/${seg.uri}`));
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'video/mp2t');
  t.equal(res.headers.get('cache-control'), 'max-age=900');
  const file = join(tmpdir(), `sc-seg-${process.pid}.ts`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const probe = ffprobeJson(file);
  const video = probe.streams.find((s: any) => s.codec_type === 'video');
  const audio = probe.streams.find((s: any) => s.codec_type === 'audio');
  t.equal(video.codec_name, 'h264');
  t.equal(video.width, 1280);
  t.equal(video.height, 720);
  t.equal(audio.codec_name, 'aac');

  // Segments that left the playlist also leave the disk (one window later).
  const dir = join(origin.mediaDir, 'hls', 'test_1280');
  await waitFor('segment 0 deleted from disk', () => (!existsSync(join(dir, '0.ts')) ? true : undefined), 30_000);
  const ranged = await fetch(origin.url(`/hls/test_1280/${seg.uri}`), { headers: { range: 'bytes=0-187' } });
  t.equal(ranged.status, 206);
  t.equal((await ranged.arrayBuffer()).byteLength, 188);

  await pub.stop();
  const ended = await waitFor('ENDLIST after the publisher stops', async () => {
    const p = parseMediaPlaylist(await (await fetch(origin.url('/hls/test_1280/index.m3u8'))).text());
    return p.endList ? p : undefined;
  });
  t.ok(ended.endList);
  t.equal(await origin.stop(), 0, 'SIGTERM exits 0');
});

t.test('paths outside the HLS folder are refused', async (t) => {
  const origin = await startOrigin(t);
  for (const p of ['/hls/../package.json', '/hls/%2e%2e/package.json', '/hls/..%2fpackage.json', '/hls/a%00.m3u8', '/hls//etc/passwd', '/hls/x\\..\\y.m3u8']) {
    const r = await fetch(origin.url(p));
    t.ok(r.status === 400 || r.status === 404, `${p} -> ${r.status}`);
    t.notMatch(await r.text(), /"name": "spherecast"/);
  }
  const other = await fetch(origin.url('/hls/test_1280/index.m3u8.tmp'));
  t.equal(other.status, 404, 'only playlists and segments are served');
});

t.test('garbage and truncated handshakes on the RTMP port do not disturb a live stream', async (t) => {
  const origin = await startOrigin(t, { RTMP_IDLE_TIMEOUT: '2' });
  publish(t, origin.rtmp('steady'), { size: '320x180' });
  await waitFor('steady playlist', async () => ((await fetch(origin.url('/hls/steady.m3u8'))).ok ? true : undefined));
  const garbage = async (bytes: Buffer) =>
    new Promise<void>((resolve) => {
      const s = connect(origin.rtmpPort, '127.0.0.1', () => s.write(bytes));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.setTimeout(5000, () => s.destroy());
    });
  const random = Buffer.alloc(64 * 1024);
  for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) & 0xff;
  await Promise.all([garbage(random), garbage(Buffer.from([3, 1, 2, 3])), garbage(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536 * 2 + 1, 0xff)]))]);
  const before = parseMediaPlaylist(await (await fetch(origin.url('/hls/steady_1280/index.m3u8'))).text());
  await waitFor('the stream keeps advancing', async () => {
    const p = parseMediaPlaylist(await (await fetch(origin.url('/hls/steady_1280/index.m3u8'))).text());
    return p.mediaSequence + p.segments.length > before.mediaSequence + before.segments.length ? true : undefined;
  });
  t.equal(origin.proc.exitCode, null, 'origin still running');
  t.ok((await fetch(origin.url('/healthz'))).ok);
});

t.test('four concurrent streams each get their own playlists; shutdown leaves no ffmpeg behind', async (t) => {
  const origin = await startOrigin(t, { HLS_FORMAT: 'ts' });
  const names = ['one', 'two', 'three', 'four'];
  for (const n of names) publish(t, origin.rtmp(n), { size: '320x180' });
  for (const n of names) {
    const text = await waitFor(`${n} master`, async () => {
      const r = await fetch(origin.url(`/hls/${n}.m3u8`));
      return r.ok ? r.text() : undefined;
    });
    t.equal(parseMasterPlaylist(text).variants[0].uri, `${n}_1280/index.m3u8`);
    t.same(parseMasterPlaylist(text).variants[0].resolution, { width: 320, height: 180 });
  }
  const stat = await (await fetch(origin.url('/stat?format=json'))).json();
  t.same(stat.streams.map((s: any) => s.name).sort(), [...names].sort());
  t.ok(ffmpegChildren(origin.proc.pid!).length >= 4, 'one packager per stream');
  t.equal(await origin.stop(), 0);
  t.same(ffmpegChildren(origin.proc.pid!), []);
  for (const n of names) {
    const p = parseMediaPlaylist(require('node:fs').readFileSync(join(origin.mediaDir, 'hls', `${n}_1280`, 'index.m3u8'), 'utf8'));
    t.ok(p.endList, `${n} has ENDLIST after shutdown`);
  }
});
