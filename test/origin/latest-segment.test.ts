import t from 'tap';
import { latestSegment } from '../../src/origin/latest-segment';

t.test('the newest segment of a live playlist and the EXT-X-MAP in force for it', async (t) => {
  const fmp4 = [
    '#EXTM3U', '#EXT-X-VERSION:9', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:4',
    '#EXT-X-MAP:URI="init-0.mp4"', '#EXTINF:1.000,', '4.m4s',
    '#EXT-X-DISCONTINUITY', '#EXT-X-MAP:URI="init-1.mp4"', '#EXTINF:1.000,', '5.m4s',
    '#EXT-X-PART:DURATION=0.2,URI="6.0.m4s"', '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="6.1.m4s"', '',
  ].join('\n');
  t.same(latestSegment(fmp4), { uri: '5.m4s', map: 'init-1.mp4' }, 'parts and hints are not segments');
  t.same(latestSegment('#EXTM3U\n#EXTINF:2.0,\n10.ts\n#EXTINF:2.0,\n11.ts\n#EXT-X-ENDLIST\n'), { uri: '11.ts' }, 'MPEG-TS: no map');
  t.equal(latestSegment('#EXTM3U\n#EXT-X-TARGETDURATION:2\n'), undefined, 'nothing listed yet');
  t.equal(latestSegment('#EXTM3U\n#EXTINF:2.0,\n../../etc/passwd\n'), undefined, 'only plain file names in the folder');
  t.equal(latestSegment('#EXTM3U\n#EXT-X-MAP:URI="/abs/init.mp4"\n#EXTINF:2.0,\n1.m4s\n'), undefined);
  t.equal(latestSegment('#EXTM3U\n#EXTINF:2.0,\nhttp://x/1.ts\n'), undefined);
});
