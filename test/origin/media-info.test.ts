import t from 'tap';
import { classifyTag, MediaInfo } from '../../src/origin/media-info';
import { avcRecord, avcSequenceHeader, baselineSps, hostileSps } from '../fixtures/h264-bits';

t.test('tags are classified by codec and packet type', async (t) => {
  t.equal(classifyTag(9, Buffer.from([0x17, 0, 0, 0, 0])).kind, 'video-config');
  t.equal(classifyTag(9, Buffer.from([0x17, 1, 0, 0, 0])).kind, 'video-key');
  t.equal(classifyTag(9, Buffer.from([0x27, 1, 0, 0, 0])).kind, 'video');
  t.equal(classifyTag(8, Buffer.from([0xaf, 0])).kind, 'audio-config');
  t.equal(classifyTag(8, Buffer.from([0xaf, 1])).kind, 'audio');
  t.same(classifyTag(8, Buffer.from([0x2f, 1])), { kind: 'unsupported', codec: 'audio MP3' });
  t.same(classifyTag(9, Buffer.from([0x14, 1, 0, 0, 0])), { kind: 'unsupported', codec: 'video VP6' });
  // Enhanced RTMP: hvc1 is packaged (HLS_FORMAT=fmp4); other FourCCs are reported.
  t.equal(classifyTag(9, Buffer.from([0x90, 0x68, 0x76, 0x63, 0x31])).kind, 'video-config');
  t.equal(classifyTag(9, Buffer.from([0x91, 0x68, 0x76, 0x63, 0x31, 0, 0, 0, 1])).kind, 'video-key');
  t.equal(classifyTag(9, Buffer.from([0xa3, 0x68, 0x76, 0x63, 0x31, 1])).kind, 'video');
  t.match(classifyTag(9, Buffer.from([0x90, 0x61, 0x76, 0x30, 0x31])).codec, /av01/);
  t.equal(classifyTag(9, Buffer.from([0x17])).kind, 'ignored', 'truncated tags are ignored, not thrown on');
});

t.test('codec configurations set the stream info; an invalid one throws', async (t) => {
  const info = new MediaInfo();
  info.observe(9, 0, avcSequenceHeader(avcRecord(baselineSps(80, 45))));
  info.observe(8, 0, Buffer.from([0xaf, 0, 0x11, 0x90]));
  t.same(info.video, { codec: 'avc1.42001f', width: 1280, height: 720 });
  t.same(info.audio, { codec: 'mp4a.40.2', sampleRate: 48000, channels: 2 });
  t.throws(() => info.observe(9, 0, avcSequenceHeader(avcRecord(hostileSps()))), { code: 'SC_ERR_CODEC_CONFIG' });
  t.throws(() => info.observe(8, 0, Buffer.from([0xaf, 0, 0x11])), { code: 'SC_ERR_CODEC_CONFIG' });
});

t.test('frame rate and bitrate are measured from timestamps', async (t) => {
  const info = new MediaInfo();
  for (let i = 0; i <= 60; i++) info.observe(9, Math.round((i * 1000) / 30), Buffer.from([i % 30 ? 0x27 : 0x17, 1, 0, 0, 0, ...Buffer.alloc(95)]));
  t.ok(Math.abs(info.frameRate - 30) < 0.1, `${info.frameRate}`);
  t.ok(Math.abs(info.bitrate - (61 * 100 * 8) / 2) < 100, `${info.bitrate}`);
});
