import t from 'tap';
import { parse } from 'hls-parser';
import { parseMediaPlaylist, writeMasterPlaylist } from '../../src/shared/hls-playlist';
import { DEFAULT_LADDER, planRenditions } from '../../src/transcoder/ladder';
import { buildMasterPlaylists, CUBEMAP_MASTER_NAME, MASTER_NAME } from '../../src/transcoder/master-playlist';
import { bandwidthOf, type MeasuredRendition } from '../../src/transcoder/rendition-measure';

const plan = planRenditions({ width: 1280, height: 640, fps: 30 }, DEFAULT_LADDER, { segmentSeconds: 2, cubemap: true });
const video = (name: string, w: number, h: number, peak: number, avg: number): MeasuredRendition => ({
  name, kind: 'video', peakBandwidth: peak, averageBandwidth: avg, duration: 6, segments: 3, codec: 'avc1.64001f', width: w, height: h, frameRate: 30,
});
const measured: MeasuredRendition[] = [
  ...plan.video.map((r, i) => video(r.name, r.width, r.height, 200_000 * (i + 1), 150_000 * (i + 1))),
  { name: 'audio', kind: 'audio', peakBandwidth: 70_000, averageBandwidth: 66_000, duration: 6, segments: 3, codec: 'mp4a.40.2', channels: 2 },
];

t.test('the master lists every video variant with audio added, then the audio-only variant', async (t) => {
  const masters = buildMasterPlaylists(plan, measured);
  t.same([...masters.keys()], [MASTER_NAME, CUBEMAP_MASTER_NAME]);
  const text = masters.get(MASTER_NAME)!;
  const lines = text.trim().split('\n');
  t.equal(lines[0], '#EXTM3U');
  t.match(text, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio\/index.m3u8"/);
  t.match(text, '#EXT-X-STREAM-INF:BANDWIDTH=270000,AVERAGE-BANDWIDTH=216000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=320x160,FRAME-RATE=30.000,AUDIO="aac"\n160p/index.m3u8');
  t.match(text, '#EXT-X-STREAM-INF:BANDWIDTH=70000,AVERAGE-BANDWIDTH=66000,CODECS="mp4a.40.2",AUDIO="aac"\naudio/index.m3u8');
  t.notMatch(text, /cube-/, 'cubemaps have their own master');
  t.match(masters.get(CUBEMAP_MASTER_NAME)!, /cube-640p\/index.m3u8/);
});

t.test('a real HLS parser reads the master as written', async (t) => {
  const text = buildMasterPlaylists(plan, measured).get(MASTER_NAME)!;
  const parsed = parse(text) as any;
  t.equal(parsed.isMasterPlaylist, true);
  const eq = plan.video.filter((r) => r.projection === 'equirect');
  t.equal(parsed.variants.length, eq.length + 1);
  const first = parsed.variants[0];
  t.equal(first.uri, '160p/index.m3u8');
  t.same(first.resolution, { width: 320, height: 160 });
  t.equal(first.codecs, 'avc1.64001f,mp4a.40.2');
  t.equal(first.frameRate, 30);
  t.equal(first.averageBandwidth, 216000);
  t.equal(first.audio[0].uri, 'audio/index.m3u8');
  const bws = parsed.variants.slice(0, -1).map((v: any) => v.bandwidth);
  t.same(bws, [...bws].sort((a: number, b: number) => a - b), 'ascending bandwidth');
});

t.test('the writer refuses values HLS cannot carry', async (t) => {
  t.throws(() => writeMasterPlaylist({ variants: [{ uri: 'a.m3u8', bandwidth: 0, codecs: [] }] }), /BANDWIDTH/);
  t.throws(() => writeMasterPlaylist({ variants: [{ uri: 'a\n#EXT', bandwidth: 1, codecs: [] }] }), /URI/);
  t.throws(() => writeMasterPlaylist({ audio: [{ groupId: 'a"b', name: 'x', uri: 'a.m3u8' }], variants: [] }), /quotes/);
});

t.test('media playlists: segments and durations; junk is refused', async (t) => {
  const p = parseMediaPlaylist('#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.000000,\nseg_00000.ts\n#EXTINF:1.5,\nseg_00001.ts\n#EXT-X-ENDLIST\n');
  t.same(p, { targetDuration: 2, mediaSequence: 0, playlistType: 'VOD', endList: true, segments: [{ uri: 'seg_00000.ts', duration: 2 }, { uri: 'seg_00001.ts', duration: 1.5 }] });
  t.throws(() => parseMediaPlaylist('hello'), /EXTM3U/);
  t.throws(() => parseMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\nseg.ts\n'), /no EXTINF/);
  t.throws(() => parseMediaPlaylist('#EXTM3U\n#EXTINF:1,\nseg.ts\n'), /TARGETDURATION/);
});

t.test('bandwidth: average over the whole, peak of the largest segment, a trailing sliver merged', async (t) => {
  t.same(bandwidthOf([{ duration: 2, bytes: 25_000 }, { duration: 2, bytes: 50_000 }], 2), { peak: 200_000, average: 150_000 });
  const sliver = bandwidthOf([{ duration: 2, bytes: 25_000 }, { duration: 2, bytes: 25_000 }, { duration: 0.02, bytes: 1_000 }], 2);
  t.equal(sliver.peak, Math.ceil((26_000 * 8) / 2.02), 'the 20 ms tail does not make a 400 kbit/s peak');
  t.equal(sliver.average, Math.round((51_000 * 8) / 4.02));
  t.throws(() => bandwidthOf([], 2), /no segments/);
});
