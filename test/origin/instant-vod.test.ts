// Instant VOD from the real origin process fed by a real ffmpeg publish: once the publisher stops,
// the whole publish plays as an HLS VOD through the origin and a real edge, in the player in
// headless Chromium, and is listed in the index; a restart (clean or SIGKILL) keeps it.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { startEdgeProcess } from '../edge/edge-harness';
import { checkPlayback, launchChromium, openPage, playerUrl } from '../player/browser';
import { startWorkerProcess } from '../transcoder/harness';
import { publish, startOrigin, waitFor, type Origin, type Publisher } from './origin-harness';

interface Listed {
  name: string;
  master: string;
  kind: string;
  startedAt: string;
  endedAt: string;
  duration: number;
}

async function listing(base: string): Promise<Listed[]> {
  const r = await fetch(`${base}/vod-live/index.json`);
  return ((await r.json()) as { assets: Listed[] }).assets;
}

function exited(p: Publisher): Promise<void> {
  return p.proc.exitCode !== null || p.proc.signalCode !== null ? Promise.resolve() : new Promise((r) => p.proc.once('exit', () => r()));
}

/** Publishes `seconds` of the test pattern and waits for ffmpeg to end it. */
async function publishFor(t: { teardown(fn: () => unknown): void }, origin: Origin, name: string, seconds: number): Promise<void> {
  const p = publish(t, origin.rtmp(name), { seconds, size: '320x180' });
  await exited(p);
}

/** ffprobe reading the playlist over HTTP end to end: frames decoded and the duration. */
function probeHls(url: string): { videoFrames: number; audioFrames: number; duration: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,nb_read_frames:format=duration', '-of', 'json', url], { encoding: 'utf8' });
  const j = JSON.parse(out) as { streams: Array<{ codec_type: string; nb_read_frames: string }>; format: { duration: string } };
  const frames = (type: string) => Number(j.streams.find((s) => s.codec_type === type)?.nb_read_frames ?? 0);
  return { videoFrames: frames('video'), audioFrames: frames('audio'), duration: Number(j.format.duration) };
}

t.test('after the publisher stops, the whole publish plays as a VOD: origin, edge, player, index', async (t) => {
  const origin = await startOrigin(t, { HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '4', RECORD: 'off' });
  const edge = await startEdgeProcess(t, { ORIGINS: origin.url(''), PUBLIC_DIR: resolve('public') });
  t.same(await listing(origin.url('')), [], 'nothing listed before a publish');

  await publishFor(t, origin, 'replay', 6);
  const [vod] = await waitFor('the instant VOD listed', async () => {
    const l = await listing(origin.url(''));
    return l.length ? l : undefined;
  });
  t.match(vod, { name: 'replay', kind: 'instant', master: /^\/vod-live\/replay\/\d+\/index\.m3u8$/ });
  t.ok(vod!.duration > 5 && vod!.duration < 7, `listed duration ${vod!.duration} s for a 6 s publish`);

  // The playlist: a VOD of every segment of the publish, not the 4 s live window.
  const r = await fetch(edge.url + vod!.master);
  t.equal(r.status, 200);
  t.match(r.headers.get('cache-control'), /max-age=\d{3,}, immutable/, 'a finished VOD playlist is cached long');
  const text = await r.text();
  const playlist = parse(text) as MediaPlaylist;
  t.equal(playlist.playlistType, 'VOD');
  t.equal(playlist.endlist, true);
  const total = playlist.segments.reduce((n, s) => n + s.duration, 0);
  t.ok(total > 5 && total < 7, `${playlist.segments.length} segments, ${total.toFixed(3)} s`);
  const base = edge.url + vod!.master.replace(/index\.m3u8$/, '');
  for (const u of [playlist.segments[0]!.map!.uri, ...playlist.segments.map((s) => s.uri)]) {
    const res = await fetch(base + u);
    t.equal(res.status, 200, `${u} through the edge`);
    await res.arrayBuffer();
  }

  // Only the playlist and media are served: not the journal or the listing entry, nothing outside.
  const dir = vod!.master.replace(/index\.m3u8$/, '');
  t.equal((await fetch(origin.url(`${dir}segments.jsonl`))).status, 404, 'the journal is not served');
  t.equal((await fetch(origin.url(`${dir}vod.json`))).status, 404, 'the listing entry is not served');
  t.equal((await fetch(origin.url(`/vod-live/%2e%2e/hls/replay.m3u8`))).status, 400, 'no way out of the folder');

  // ffprobe decodes the whole VOD through the edge: about 6 s, every frame.
  const probe = probeHls(edge.url + vod!.master);
  t.ok(Math.abs(probe.duration - 6) < 0.5, `ffprobe duration ${probe.duration} s`);
  t.ok(probe.videoFrames >= 170 && probe.videoFrames <= 181, `${probe.videoFrames} video frames of 180 sent`);
  t.ok(probe.audioFrames > 250, `${probe.audioFrames} audio frames`);

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const played = await checkPlayback(browser, playerUrl(edge.url + '/', vod!.master), 3);
  t.teardown(() => played.session.close());
  t.ok(played.to - played.from >= 3, `the player played it from ${played.from} to ${played.to}`);
  t.same(played.pageErrors, []);
  t.ok(played.nonBlank, 'the picture is not blank');

  const index = await openPage(browser, `${edge.url}/index.html`);
  t.teardown(() => index.close());
  const link = index.page.locator(`#vod-list a[href*="${encodeURIComponent(vod!.master)}"]`);
  await link.first().waitFor({ timeout: 30_000 });
  t.match(await link.first().textContent(), /REPLAY.*replay/, 'the index lists it as a replay');

  // Publishing the name again makes a second VOD; the first is untouched.
  await publishFor(t, origin, 'replay', 3);
  const both = await waitFor('the second instant VOD', async () => {
    const l = await listing(origin.url(''));
    return l.length === 2 ? l : undefined;
  });
  t.equal(both[1]!.master, vod!.master, 'newest first; the first keeps its URL');
  t.not(both[0]!.master, vod!.master);
  t.equal(await (await fetch(origin.url(vod!.master))).text(), text, 'the first VOD is unchanged');
  t.ok(Math.abs(probeHls(origin.url(both[0]!.master)).duration - 3) < 0.5, 'the second holds the second publish');

});

t.test('a restart keeps instant VODs; one a SIGKILL cut short is finished from its journal', async (t) => {
  const first = await startOrigin(t, { HLS_FRAGMENT: '1', RECORD: 'off' });
  await publishFor(t, first, 'kept', 3);
  await waitFor('listed', async () => ((await listing(first.url(''))).length === 1 ? true : undefined));
  // A second publish is running when the origin is killed.
  publish(t, first.rtmp('cut'), { size: '320x180' });
  await waitFor('a few segments of the cut publish', async () => {
    const r = await fetch(first.url('/hls/cut_1280/index.m3u8'));
    return r.ok && ((await r.text()).match(/#EXTINF/g) ?? []).length >= 3 ? true : undefined;
  });
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));

  const second = await startOrigin(t, { HLS_FRAGMENT: '1', RECORD: 'off', MEDIA_DIR: first.mediaDir });
  const listed = await listing(second.url(''));
  t.same(listed.map((e) => e.name).sort(), ['cut', 'kept'], 'both are listed after the restart');
  for (const e of listed) {
    const p = parse(await (await fetch(second.url(e.master))).text()) as MediaPlaylist;
    t.equal(p.endlist, true, `${e.name}: ENDLIST`);
    t.equal(p.playlistType, 'VOD');
    const probe = probeHls(second.url(e.master));
    t.ok(probe.videoFrames >= 60, `${e.name}: ${probe.videoFrames} frames decode after the restart`);
  }
  t.match(second.log(), /finished from its journal/);
});

t.test('the ladder the transcoder makes of the recording replaces the instant VOD in the listing', async (t) => {
  // The whole chain: the origin records and uploads to its local ingress and queue, the real
  // transcoder publishes the ladder into the egress folder the origin serves at /vod/.
  const origin = await startOrigin(t, { HLS_FRAGMENT: '1', RECORD: 'all', HLS_SEGMENT_MAX_AGE: '60' });
  await publishFor(t, origin, 'talk', 4);
  const [vod] = await waitFor('the instant VOD listed', async () => {
    const l = await listing(origin.url(''));
    return l.length ? l : undefined;
  });
  t.equal(vod!.name, 'talk');
  const worker = startWorkerProcess(t, {
    MEDIA_DIR: origin.mediaDir,
    LADDER: JSON.stringify([{ width: 320, height: 180, bitrate: '200k' }, { audio: '64k' }]),
    SEGMENT_SECONDS: '2',
    RECEIVE_WAIT: '1',
  });
  const done = await worker.waitFor((l) => l.msg === 'job done', 'the ladder of the recording', 120_000);
  const asset = String((done as { master?: unknown }).master ?? '').split('/')[0]!;
  t.match(asset, /^talk-\d+$/, `ladder ${asset}`);
  t.ok(existsSync(join(origin.mediaDir, 'egress', asset, 'MANIFEST.M3U8')));
  t.same(await listing(origin.url('')), [], 'replaced by its ladder: no longer listed');
  t.equal((await fetch(origin.url(vod!.master))).status, 200, 'still served to viewers already in it (its duration plus HLS_SEGMENT_MAX_AGE)');
  const ladders = await (await fetch(origin.url('/vod/index.json'))).json();
  t.same(ladders.assets.map((a: { name: string }) => a.name), [asset], 'the index now lists the ladder');
});
