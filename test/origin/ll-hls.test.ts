// Low-Latency HLS from the real origin process (HLS_FORMAT=fmp4, the default), fed by a real ffmpeg
// publish: spec rules checked on its playlists, blocking reloads, hinted parts, delta updates,
// decoding with ffprobe, and hls.js playing it in low-latency mode in headless Chromium.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { launchChromium } from '../player/browser';
import { listedUris, llPlaylistViolations } from '../fixtures/ll-playlist-rules';
import { ffprobeJson, publish, startOrigin, waitFor, type Origin } from './origin-harness';

let origin: Origin;
const variant = (q = '') => origin.url(`/hls/ll_1280/index.m3u8${q}`);

t.before(async () => {
  origin = await startOrigin(t, { HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '8', RECORD: 'off' });
  publish(t, origin.rtmp('ll'), { size: '320x180', gop: 30 });
  await waitFor('an LL playlist with a few segments', async () => {
    const r = await fetch(variant());
    return r.ok && ((await r.text()).match(/#EXTINF/g) ?? []).length >= 3 ? true : undefined;
  }, 40_000);
});

t.test('the live playlist keeps the LL-HLS rules; every part, segment and map it lists is served', async (t) => {
  const r = await fetch(variant());
  t.equal(r.headers.get('cache-control'), 'max-age=1', 'a plain playlist request: half a target duration (at least 1 s)');
  const text = await r.text();
  t.same(llPlaylistViolations(text), [], text);
  const p = parse(text) as MediaPlaylist;
  t.ok(p.partTargetDuration! >= 0.2 && p.partTargetDuration! < 0.25, `PART-TARGET ${p.partTargetDuration}`);
  t.ok(p.lowLatencyCompatibility?.canBlockReload);
  const uris = listedUris(text);
  t.ok(uris.hint, 'the next part is hinted');
  for (const u of [...uris.maps, ...uris.segments, ...uris.parts]) {
    const res = await fetch(origin.url(`/hls/ll_1280/${u}`));
    t.equal(res.status, 200, `${u} is served`);
    t.match(res.headers.get('cache-control'), /^max-age=\d{3,}$/, `${u} is cached long`);
    await res.arrayBuffer();
  }
  // ffprobe decodes the init segment followed by the segments.
  const dir = mkdtempSync(join(tmpdir(), 'sc-ll-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = [];
  for (const u of [uris.maps[0]!, ...uris.segments]) bytes.push(Buffer.from(await (await fetch(origin.url(`/hls/ll_1280/${u}`))).arrayBuffer()));
  writeFileSync(join(dir, 'all.mp4'), Buffer.concat(bytes));
  const probe = ffprobeJson(join(dir, 'all.mp4'));
  t.match(probe.streams.map((s: { codec_name: string }) => s.codec_name).sort(), ['aac', 'h264']);
  t.match(probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video'), { codec_tag_string: 'avc1', width: 320, height: 180 });
});

t.test('blocking reloads: held until the part exists, 400 for bad or far requests, long cache for the answer', async (t) => {
  const text = await (await fetch(variant())).text();
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(\d+)\.(\d+)\.m4s"/.exec(text)!;
  const [msn, part] = [Number(hint[1]), Number(hint[2])];
  const held = await fetch(variant(`?_HLS_msn=${msn}&_HLS_part=${part}`));
  t.equal(held.status, 200);
  t.equal(held.headers.get('cache-control'), 'max-age=6', 'a blocking response: six target durations');
  t.ok(listedUris(await held.text()).parts.includes(`${msn}.${part}.m4s`), 'the answer lists the part asked for');
  for (const [q, why] of [
    [`?_HLS_part=1`, '_HLS_part without _HLS_msn'],
    [`?_HLS_msn=${msn + 10}`, 'too far ahead'],
    [`?_HLS_msn=${msn + 1}&_HLS_part=50`, 'beyond the advance part limit'],
    [`?_HLS_msn=x`, 'not a number'],
  ] as const) {
    const r = await fetch(variant(q));
    t.equal(r.status, 400, why);
    t.equal(r.headers.get('cache-control'), 'no-store');
    t.match(await r.json(), { code: 'SC_ERR_HLS_DIRECTIVE' });
  }
  // The hinted part, asked before it exists, comes whole once complete.
  const next = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(await (await fetch(variant())).text())![1];
  const partRes = await fetch(origin.url(`/hls/ll_1280/${next}`));
  t.equal(partRes.status, 200);
  const body = Buffer.from(await partRes.arrayBuffer());
  t.equal(body.toString('latin1', 4, 8), 'moof', 'a whole part: moof + mdat');
  t.equal(body.readUInt32BE(0) + body.readUInt32BE(body.readUInt32BE(0)), body.length, 'moof and mdat make up the whole answer');
});

t.test('a delta update (_HLS_skip=YES) is read by hls-parser and skips what the full playlist lists', async (t) => {
  await waitFor('a window longer than CAN-SKIP-UNTIL', async () => {
    const p = parse(await (await fetch(variant())).text()) as MediaPlaylist;
    return p.segments.filter((s) => s.uri).reduce((n, s) => n + s.duration, 0) > 6 ? true : undefined;
  }, 30_000);
  const text = await (await fetch(variant('?_HLS_skip=YES'))).text();
  const delta = parse(text) as MediaPlaylist;
  t.ok(delta.skip > 0, `EXT-X-SKIP:SKIPPED-SEGMENTS=${delta.skip}`);
  t.same(llPlaylistViolations(text), []);
});

t.test('hls.js in headless Chromium plays the stream in low-latency mode', async (t) => {
  const hlsJs = readFileSync(resolve('node_modules/hls.js/dist/hls.min.js'));
  const page = `<!doctype html><video id="v" muted autoplay></video><script src="/hls.js"></script><script>
    window.state = { parts: 0, errors: [] };
    const hls = new Hls({ lowLatencyMode: true });
    hls.on(Hls.Events.LEVEL_UPDATED, (_e, d) => { window.state.parts = d.details.partList ? d.details.partList.length : 0; window.state.ll = d.details.canBlockReload; });
    hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.state.errors.push(d.details); });
    hls.loadSource(${JSON.stringify(variant())});
    hls.attachMedia(document.getElementById('v'));
  </script>`;
  const server = createServer((req, res) => (req.url === '/hls.js' ? res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs) : res.writeHead(200, { 'content-type': 'text/html' }).end(page)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
  await tab.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).currentTime > 2, null, { timeout: 60_000, polling: 200 });
  const state = await tab.evaluate(() => (window as unknown as { state: { parts: number; ll: boolean; errors: string[] } }).state);
  t.same(state.errors, [], 'no fatal error');
  t.ok(state.ll, 'hls.js saw CAN-BLOCK-RELOAD');
  t.ok(state.parts > 0, `hls.js loads parts (${state.parts} in its playlist)`);
});

t.test('after the publisher stops, the playlist ends with ENDLIST and no preload hint', async (t) => {
  const short = publish(t, origin.rtmp('short'), { size: '320x180', seconds: 3 });
  await waitFor('the 3 s publish ends by itself', () => (short.proc.exitCode !== null ? true : undefined), 30_000);
  const text = await waitFor('ENDLIST', async () => {
    const r = await fetch(origin.url('/hls/short_1280/index.m3u8'));
    const body = r.ok ? await r.text() : '';
    return body.includes('#EXT-X-ENDLIST') ? body : undefined;
  }, 30_000);
  t.notMatch(text, /PRELOAD-HINT|EXT-X-PART:/);
  t.same(llPlaylistViolations(text), []);
  for (const u of listedUris(text).segments) t.equal((await fetch(origin.url(`/hls/short_1280/${u}`))).status, 200, `${u} stays served`);
});
