import t from 'tap';
import { parseMasterPlaylist, parseMediaPlaylist, targetDurationFor, writeMasterPlaylist, writeMediaPlaylist } from '../../src/shared/hls-playlist';

t.test('media playlists round-trip, with ENDLIST and discontinuities', async (t) => {
  const p = { targetDuration: 2, mediaSequence: 7, segments: [{ uri: '7.ts', duration: 2 }, { uri: '8.ts', duration: 1.5, discontinuity: true }], endList: true };
  const text = writeMediaPlaylist(p);
  t.match(text, '#EXT-X-MEDIA-SEQUENCE:7\n');
  t.match(text, '#EXT-X-DISCONTINUITY\n#EXTINF:1.500,\n8.ts\n#EXT-X-ENDLIST\n');
  t.same(parseMediaPlaylist(text), p);
});

t.test('nginx-rtmp style live playlist text parses', async (t) => {
  const p = parseMediaPlaylist('#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:12\n#EXT-X-TARGETDURATION:3\n#EXTINF:2.000,\n12.ts\n#EXTINF:2.033,\n13.ts\n');
  t.equal(p.mediaSequence, 12);
  t.equal(p.segments.length, 2);
  t.equal(p.endList, false);
});

t.test('target duration rounds each EXTINF to the nearest integer', async (t) => {
  t.equal(targetDurationFor([2.0, 2.4, 1.9]), 2);
  t.equal(targetDurationFor([2.0, 2.6]), 3);
  t.equal(targetDurationFor([], 4), 4);
});

t.test('master playlists carry quoted CODECS and parse back', async (t) => {
  const text = writeMasterPlaylist({ variants: [{ uri: 'a_1280/index.m3u8', bandwidth: 700000, averageBandwidth: 650000, resolution: { width: 1280, height: 720 }, codecs: ['avc1.64001f', 'mp4a.40.2'], frameRate: 30 }] });
  t.match(text, 'BANDWIDTH=700000,AVERAGE-BANDWIDTH=650000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000\na_1280/index.m3u8');
  const m = parseMasterPlaylist(text);
  t.same(m.variants[0].codecs, ['avc1.64001f', 'mp4a.40.2']);
  t.same(m.variants[0].resolution, { width: 1280, height: 720 });
});
