import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { ManualClock } from '../../../src/shared/clock';
import { StreamPackager } from '../../../src/origin/packager/stream-packager';
import { answerRendition } from '../../../src/origin/packager/rendition-responder';
import { encodeTestFlv, readFlvTags, type FlvFileTag } from '../../fixtures/flv-file';
import { listedUris, llPlaylistViolations } from '../../fixtures/ll-playlist-rules';

const WIDTH = 320;
const HEIGHT = 160;
const tags = readFlvTags(encodeTestFlv({ seconds: 7, width: WIDTH, height: HEIGHT, fps: 30, gop: 60, bframes: 2 }));
const videoFrames = tags.filter((x) => x.type === 9 && x.body[1] === 1).length;
const audioFrames = tags.filter((x) => x.type === 8 && x.body[1] === 1).length;

function packager(clock = new ManualClock()): StreamPackager {
  return new StreamPackager({ segmentSeconds: 2, partSeconds: 0.2, windowSeconds: 60, clock });
}

function feed(p: StreamPackager, list: readonly FlvFileTag[]): void {
  for (const tag of list) {
    if (tag.type === 9 && tag.body[1] === 0) p.setVideoConfig({ config: { codec: 'avc', record: tag.body.subarray(5) }, width: WIDTH, height: HEIGHT });
    else if (tag.type === 8 && tag.body[1] === 0) p.setAudioConfig({ asc: tag.body.subarray(2), sampleRate: 48_000, channels: 2 });
    else p.write(tag.type, tag.dts, tag.body);
  }
}

async function fetchAll(p: StreamPackager, uris: readonly string[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const u of uris) {
    const b = await p.rendition.file(u, 0);
    if (!b) throw new Error(`${u} is listed but not served`);
    out.push(b);
  }
  return out;
}

function probeFrames(t: { teardown: (f: () => void) => void }, bytes: Buffer): { video: number; audio: number; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sc-pkg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'all.mp4');
  writeFileSync(file, bytes);
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' });
  const streams = (JSON.parse(r.stdout) as { streams: Array<{ codec_name: string; nb_read_frames: string }> }).streams;
  return {
    video: Number(streams.find((s) => s.codec_name === 'h264')?.nb_read_frames ?? 0),
    audio: Number(streams.find((s) => s.codec_name === 'aac')?.nb_read_frames ?? 0),
    stderr: r.stderr,
  };
}

t.test('a live stream mid-way: LL playlist keeps the spec rules, every listed part and segment is served', async (t) => {
  const p = packager();
  feed(p, tags.slice(0, Math.floor(tags.length * 0.6)));
  const text = p.rendition.playlistText();
  t.same(llPlaylistViolations(text), [], text);
  const parsed = parse(text) as MediaPlaylist;
  t.ok(parsed.segments.filter((s) => s.uri).length >= 1, 'complete segments are listed');
  t.ok(parsed.partTargetDuration! >= 0.2 && parsed.partTargetDuration! < 0.25, `part target ${parsed.partTargetDuration}`);
  const uris = listedUris(text);
  t.ok(uris.parts.length > 5, 'parts are listed');
  t.ok(uris.hint, 'the next part is hinted');
  t.notOk(text.includes('#EXT-X-ENDLIST'));
  await fetchAll(p, [...uris.maps, ...uris.segments, ...uris.parts]);
  t.equal(await p.rendition.file(uris.hint!, 10), undefined, 'the hinted part does not exist yet: held, then nothing');
});

t.test('the ended stream: segments alone and parts alone each decode to every frame', async (t) => {
  const p = packager();
  feed(p, tags);
  p.end();
  const text = p.rendition.playlistText();
  t.same(llPlaylistViolations(text), [], text);
  t.match(text, /#EXT-X-ENDLIST\n$/);
  t.notMatch(text, /PRELOAD-HINT/);
  const uris = listedUris(text);
  t.equal(uris.maps.length, 1);
  const [init] = await fetchAll(p, uris.maps);
  const fromSegments = probeFrames(t, Buffer.concat([init!, ...(await fetchAll(p, uris.segments))]));
  t.equal(fromSegments.stderr, '');
  t.equal(fromSegments.video, videoFrames, 'every video frame is in the segments');
  // Audio before the first keyframe is not packaged; the encode starts on a keyframe, so none is lost.
  t.equal(fromSegments.audio, audioFrames, 'every audio frame is in the segments');
  // Every part of every segment, fetched by the URIs the parts had while live.
  const parts: Buffer[] = [];
  for (let msn = 0; msn < uris.segments.length; msn++) {
    for (let i = 0; ; i++) {
      const part = await p.rendition.file(`${msn}.${i}.m4s`, 0);
      if (!part) break;
      parts.push(part);
    }
  }
  const fromParts = probeFrames(t, Buffer.concat([init!, ...parts]));
  t.equal(fromParts.stderr, '');
  t.equal(fromParts.video, videoFrames, 'every video frame is in the parts');
  t.equal(fromParts.audio, audioFrames, 'every audio frame is in the parts');
  const parsed = parse(text) as MediaPlaylist;
  const total = parsed.segments.reduce((n, s) => n + s.duration, 0);
  t.ok(Math.abs(total - 7) < 0.1, `segments add up to the clip (${total} s)`);
  for (const s of parsed.segments.slice(0, -1)) t.ok(Math.abs(s.duration - 2) < 0.05, `segment ${s.uri} lasts a GOP (${s.duration})`);
});

t.test('blocking reload: held until the part exists, 400-worthy requests refused at once, timeout answered', async (t) => {
  const p = packager();
  const half = Math.floor(tags.length / 2);
  feed(p, tags.slice(0, half));
  const pos = p.rendition.position;
  t.equal(await p.rendition.playlist({ msn: pos.openMsn + 5, deltaUpdate: false }, 1000).then((a) => a.kind), 'too-far');
  t.equal(await p.rendition.playlist({ msn: pos.openMsn, part: pos.openParts + 20, deltaUpdate: false }, 1000).then((a) => a.kind), 'too-far');
  t.equal(await p.rendition.playlist({ msn: pos.openMsn, part: pos.openParts, deltaUpdate: false }, 20).then((a) => a.kind), 'timeout');
  const held = p.rendition.playlist({ msn: pos.openMsn, part: pos.openParts, deltaUpdate: false }, 60_000);
  const hint = listedUris(p.rendition.playlistText()).hint!;
  const hintedPart = p.rendition.file(hint, 60_000);
  feed(p, tags.slice(half, half + 40));
  const answer = await held;
  t.equal(answer.kind, 'playlist');
  if (answer.kind === 'playlist') t.ok(listedUris(answer.text).parts.includes(hint), 'the answer lists the part asked for');
  t.ok((await hintedPart)?.length, 'the hinted part is answered whole once complete');
  const ready = await p.rendition.playlist({ msn: pos.openMsn - 1, deltaUpdate: false }, 1000);
  t.equal(ready.kind, 'playlist', 'a segment already there is answered at once');
});

t.test('a delta update skips old segments and hls-parser reads it', async (t) => {
  const clock = new ManualClock();
  const p = new StreamPackager({ segmentSeconds: 1, partSeconds: 0.2, windowSeconds: 60, clock });
  const long = readFlvTags(encodeTestFlv({ seconds: 10, width: 160, height: 80, fps: 25, gop: 25 }));
  for (const tag of long) {
    if (tag.type === 9 && tag.body[1] === 0) p.setVideoConfig({ config: { codec: 'avc', record: tag.body.subarray(5) }, width: 160, height: 80 });
    else if (tag.type === 8 && tag.body[1] === 0) p.setAudioConfig({ asc: tag.body.subarray(2), sampleRate: 48_000, channels: 2 });
    else p.write(tag.type, tag.dts, tag.body);
  }
  const full = parse(p.rendition.playlistText()) as MediaPlaylist;
  const answer = await p.rendition.playlist({ deltaUpdate: true }, 0);
  t.equal(answer.kind, 'playlist');
  const text = answer.kind === 'playlist' ? answer.text : '';
  const delta = parse(text) as MediaPlaylist;
  t.ok(delta.skip > 0, `segments skipped: ${delta.skip}`);
  t.match(text, /#EXT-X-VERSION:9/);
  t.equal(delta.skip + delta.segments.length, full.segments.length, 'skipped plus listed is the whole playlist');
  const listed = delta.segments.filter((s) => s.uri).reduce((n, s) => n + s.duration, 0);
  t.ok(listed >= 6 * full.targetDuration - 1, 'what is left covers at least CAN-SKIP-UNTIL');
});

t.test('HTTP answers: a blocking request that is never satisfied gets 503 after three target durations, not cached', async (t) => {
  const p = new StreamPackager({ segmentSeconds: 1, partSeconds: 0.2, windowSeconds: 10, clock: new ManualClock() });
  feed(p, tags.slice(0, Math.floor(tags.length / 3)));
  const pos = p.rendition.position;
  const q = new URLSearchParams({ _HLS_msn: String(pos.openMsn), _HLS_part: String(pos.openParts) });
  const answer = await answerRendition(p.rendition, 'index.m3u8', q, { mediaMaxAge: 900 });
  t.equal(answer.status, 503);
  t.equal(answer.headers['cache-control'], 'no-store');
  t.match(JSON.parse(String(answer.body)), { code: 'SC_ERR_HLS_NOT_READY' });
  const missing = await answerRendition(p.rendition, '999.0.m4s', new URLSearchParams(), { mediaMaxAge: 900 });
  t.equal(missing.status, 404, 'a part that is not the hinted one is not waited for');
});
