// Two renditions of one stream in the packager: EXT-X-RENDITION-REPORT of the other's last part
// (LAST-MSN/LAST-PART as LL-HLS defines them), kept current although this rendition did not
// change, and a shared clock so equal pictures get equal times and PROGRAM-DATE-TIMEs.
import t from 'tap';
import { parse } from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types';
import { ManualClock } from '../../../src/shared/clock';
import { StreamPackager } from '../../../src/origin/packager/stream-packager';
import { encodeTestFlv, readFlvTags, type FlvFileTag } from '../../fixtures/flv-file';

const tags = readFlvTags(encodeTestFlv({ seconds: 5, width: 160, height: 80, fps: 30, gop: 30 }));

function feed(p: StreamPackager, list: readonly FlvFileTag[]): void {
  for (const tag of list) {
    if (tag.type === 9 && tag.body[1] === 0) p.setVideoConfig({ config: { codec: 'avc', record: tag.body.subarray(5) }, width: 160, height: 80 });
    else if (tag.type === 8 && tag.body[1] === 0) p.setAudioConfig({ asc: tag.body.subarray(2), sampleRate: 48_000, channels: 2 });
    else p.write(tag.type, tag.dts, tag.body);
  }
}

t.test('a playlist reports the other rendition\'s last part, as of each request', async (t) => {
  const clock = new ManualClock();
  const opts = { segmentSeconds: 1, partSeconds: 0.2, windowSeconds: 10, clock };
  const source = new StreamPackager(opts);
  clock.advance(700);
  // Started later, as a ladder rung is: it takes the source's clock.
  const rung = new StreamPackager({ ...opts, timeBase: source.timeBase });
  t.equal(rung.rendition.lastPart, undefined, 'nothing to report before the first part');
  source.rendition.setRenditionReports(() => {
    const last = rung.rendition.lastPart;
    return last ? [{ uri: '../rung/index.m3u8', lastMsn: last.msn, lastPart: last.part }] : [];
  });
  const half = tags.findIndex((x) => x.dts >= 2500);
  feed(source, tags);
  const early = source.rendition.playlistText();
  t.notMatch(early, /RENDITION-REPORT/, 'the rung has no part yet');
  feed(rung, tags.slice(0, half));
  const mid = parse(source.rendition.playlistText()) as MediaPlaylist;
  t.equal(mid.renditionReports.length, 1, 'the report appears without the source changing');
  const rungNow = parse(rung.rendition.playlistText()) as MediaPlaylist;
  const lastSeg = rungNow.segments.filter((s) => (s.parts ?? []).some((p) => !p.hint)).pop()!;
  t.same(mid.renditionReports[0], { uri: '../rung/index.m3u8', lastMSN: lastSeg.mediaSequenceNumber, lastPart: lastSeg.parts.filter((p) => !p.hint).length - 1 }, 'LAST-MSN/LAST-PART: the last part the rung lists');
  feed(rung, tags.slice(half));
  const later = parse(source.rendition.playlistText()) as MediaPlaylist;
  t.ok(later.renditionReports[0]!.lastMSN! > mid.renditionReports[0]!.lastMSN!, 'and moves on with the rung');
  t.notMatch(source.rendition.diskPlaylistText(), /RENDITION-REPORT/, 'the plain playlist on disk reports nothing');

  // The same pictures in both: same segments, same wall-clock times, although the rung started later.
  const a = (parse(source.rendition.playlistText()) as MediaPlaylist).segments.filter((s) => s.uri);
  const b = (parse(rung.rendition.playlistText()) as MediaPlaylist).segments.filter((s) => s.uri);
  t.same(b.map((s) => [s.mediaSequenceNumber, s.duration, s.programDateTime?.getTime()]), a.map((s) => [s.mediaSequenceNumber, s.duration, s.programDateTime?.getTime()]));
  source.end();
  t.notMatch(source.rendition.playlistText(), /RENDITION-REPORT/, 'an ended playlist reports nothing');
});
