import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeInitSegment } from '../../../src/origin/packager/init-segment';
import { aacSampleEntry, videoSampleEntry } from '../../../src/shared/mp4/sample-entry';
import { writeFragment, type FragmentSample } from '../../../src/origin/packager/fragment';
import { box } from '../../../src/shared/mp4/mp4-box';
import { encodeTestFlv, readFlvTags } from '../../fixtures/flv-file';

/** Walks top-level boxes: [type, size] in order. */
function topBoxes(buf: Buffer): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let p = 0; p + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(p);
    out.push([buf.toString('latin1', p + 4, p + 8), size]);
    if (size < 8) break;
    p += size;
  }
  return out;
}

t.test('box sizes add up; a fragment without samples is refused', async (t) => {
  const b = box('free', Buffer.alloc(5));
  t.equal(b.readUInt32BE(0), 13);
  t.equal(b.toString('latin1', 4, 8), 'free');
  t.throws(() => box('toolong', Buffer.alloc(0)));
  t.throws(() => writeFragment(1, [{ id: 1, baseDecodeTime: 0, samples: [] }]));
  const f = writeFragment(7, [{ id: 1, baseDecodeTime: 90_000, samples: [{ duration: 3000, compositionOffset: -3000, sync: true, data: Buffer.from('abcd') }] }]);
  t.same(topBoxes(f).map(([type]) => type), ['moof', 'mdat']);
  t.equal(f.subarray(f.length - 4).toString(), 'abcd', 'sample bytes are the mdat payload');
  t.equal(f.readUInt32BE(8 + 12), 7, 'mfhd carries the sequence number');
});

t.test('init segment + fragments from a real H.264/AAC encode decode in ffprobe, every frame', async (t) => {
  const width = 320;
  const height = 160;
  const tags = readFlvTags(encodeTestFlv({ seconds: 3, width, height, fps: 25, gop: 25, bframes: 2 }));
  let avcRecord: Buffer | undefined;
  let asc: Buffer | undefined;
  const video: Array<{ dts: number; cts: number; key: boolean; data: Buffer }> = [];
  const audio: Array<{ dts: number; data: Buffer }> = [];
  for (const tag of tags) {
    if (tag.type === 9) {
      const cts = (tag.body.readIntBE(2, 3));
      if (tag.body[1] === 0) avcRecord = tag.body.subarray(5);
      else if (tag.body[1] === 1) video.push({ dts: tag.dts, cts, key: tag.body[0]! >> 4 === 1, data: tag.body.subarray(5) });
    } else if (tag.type === 8) {
      if (tag.body[1] === 0) asc = tag.body.subarray(2);
      else audio.push({ dts: tag.dts, data: tag.body.subarray(2) });
    }
  }
  t.ok(avcRecord && asc, 'the encode carries both decoder configurations');
  const init = writeInitSegment([
    { id: 1, kind: 'video', timescale: 90_000, width, height, sampleEntry: videoSampleEntry({ config: { codec: 'avc', record: avcRecord! }, width, height }) },
    { id: 2, kind: 'audio', timescale: 48_000, sampleEntry: aacSampleEntry({ asc: asc!, sampleRate: 48_000, channels: 2 }) },
  ]);
  t.same(topBoxes(init).map(([type]) => type), ['ftyp', 'moov']);

  const videoSamples: FragmentSample[] = video.map((v, i) => ({
    duration: ((video[i + 1]?.dts ?? v.dts + 40) - v.dts) * 90,
    compositionOffset: v.cts * 90,
    sync: v.key,
    data: v.data,
  }));
  const audioSamples: FragmentSample[] = audio.map((a) => ({ duration: 1024, compositionOffset: 0, sync: true, data: a.data }));
  // One fragment per second of each track, as parts are cut: any boundary, not only keyframes.
  const fragments: Buffer[] = [];
  let vi = 0;
  let ai = 0;
  let vTime = 0;
  let aTime = 0;
  for (let seq = 1; vi < videoSamples.length || ai < audioSamples.length; seq++) {
    const vEnd = Math.min(videoSamples.length, vi + 25);
    const aEnd = Math.min(audioSamples.length, ai + 47);
    const v = videoSamples.slice(vi, vEnd);
    const a = audioSamples.slice(ai, aEnd);
    fragments.push(writeFragment(seq, [{ id: 1, baseDecodeTime: vTime, samples: v }, { id: 2, baseDecodeTime: aTime, samples: a }]));
    vTime += v.reduce((n, s) => n + s.duration, 0);
    aTime += a.reduce((n, s) => n + s.duration, 0);
    vi = vEnd;
    ai = aEnd;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sc-fmp4-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'stream.mp4');
  writeFileSync(file, Buffer.concat([init, ...fragments]));
  const probe = JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file], { encoding: 'utf8' }),
  ) as { streams: Array<{ codec_name: string; codec_tag_string: string; width?: number; height?: number; nb_read_frames: string; sample_rate?: string; channels?: number }> };
  const v = probe.streams.find((s) => s.codec_name === 'h264');
  const a = probe.streams.find((s) => s.codec_name === 'aac');
  t.ok(v && a, 'ffprobe finds both streams');
  t.equal(v!.codec_tag_string, 'avc1');
  t.equal(v!.width, width);
  t.equal(v!.height, height);
  t.equal(Number(v!.nb_read_frames), video.length, 'every video frame decodes');
  t.equal(Number(a!.nb_read_frames), audio.length, 'every audio frame decodes');
  t.equal(a!.sample_rate, '48000');
  t.equal(a!.channels, 2);
  // Decoding must not complain either (broken offsets show as errors, not only as missing frames).
  const decode = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  t.equal(decode.status, 0);
  t.equal(decode.stderr, '', 'ffmpeg decodes the file without errors');
});
