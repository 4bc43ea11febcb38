// HLS_DVR_WINDOW in the packager: the playlist lists the long window, parts stay near the live
// edge, and only the latest segments stay in memory (older ones are served from disk by the origin).
import t from 'tap';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { ManualClock } from '../../../src/shared/clock';
import { StreamPackager } from '../../../src/origin/packager/stream-packager';
import { encodeTestFlv, readFlvTags, type FlvFileTag } from '../../fixtures/flv-file';
import { listedUris, llPlaylistViolations } from '../../fixtures/ll-playlist-rules';

const tags = readFlvTags(encodeTestFlv({ seconds: 9, width: 320, height: 160, fps: 30, gop: 30 }));

function feed(p: StreamPackager, list: readonly FlvFileTag[]): void {
  for (const tag of list) {
    if (tag.type === 9 && tag.body[1] === 0) p.setVideoConfig({ config: { codec: 'avc', record: tag.body.subarray(5) }, width: 320, height: 160 });
    else if (tag.type === 8 && tag.body[1] === 0) p.setAudioConfig({ asc: tag.body.subarray(2), sampleRate: 48_000, channels: 2 });
    else p.write(tag.type, tag.dts, tag.body);
  }
}

t.test('a DVR window lists every segment of the window; only the latest stay in memory', async (t) => {
  const p = new StreamPackager({ segmentSeconds: 1, partSeconds: 0.2, windowSeconds: 60, memorySeconds: 2, clock: new ManualClock() });
  feed(p, tags);
  const text = p.rendition.playlistText();
  t.same(llPlaylistViolations(text), [], text);
  const playlist = parse(text) as MediaPlaylist;
  const complete = playlist.segments.filter((s) => s.uri);
  t.ok(complete.length >= 7, `${complete.length} segments listed: the whole window, not HLS_PLAYLIST_LENGTH`);
  t.equal(complete[0]!.uri, '0.m4s', 'the window reaches back to the first segment');
  const uris = listedUris(text);
  const withParts = new Set(uris.parts.map((u) => u.split('.')[0]));
  t.ok(withParts.size <= 3, 'parts are listed only near the live edge');
  // Four target durations stay in memory (more than the parts listed); older segments are left to the disk copy.
  const inMemory = [];
  for (const s of complete) if (await p.rendition.file(s.uri, 0)) inMemory.push(s.uri);
  t.same(inMemory, complete.slice(-inMemory.length).map((s) => s.uri), 'the ones kept are the newest');
  t.ok(inMemory.length >= 4 && inMemory.length <= 5, `${inMemory.length} segments in memory`);
  for (const u of uris.parts) t.ok(await p.rendition.file(u, 0), `listed part ${u} is served from memory`);
  t.same(p.rendition.segmentSizes.length, complete.length, 'the master still measures every listed segment');
  t.ok(p.rendition.segmentSizes.every((s) => s.bytes > 0));
});

t.test('without memorySeconds the whole window stays in memory (as before)', async (t) => {
  const p = new StreamPackager({ segmentSeconds: 1, partSeconds: 0.2, windowSeconds: 60, clock: new ManualClock() });
  feed(p, tags);
  const complete = (parse(p.rendition.playlistText()) as MediaPlaylist).segments.filter((s) => s.uri);
  for (const s of complete) t.ok(await p.rendition.file(s.uri, 0), `${s.uri} from memory`);
});
