import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/shared/clock';
import { isScError } from '../../../src/shared/errors';
import { parseHevcConfig } from '../../../src/origin/codec/hevc-config';
import { StreamPackager } from '../../../src/origin/packager/stream-packager';
import { encodeHevcClip, enhancedFlvTags } from '../../fixtures/hevc-clip';
import { listedUris } from '../../fixtures/ll-playlist-rules';

// An odd size, so the SPS needs a conformance window to say it.
const clip = encodeHevcClip({ seconds: 3, width: 330, height: 170, fps: 25, gop: 25 });

t.test('the HEVC record of a real libx265 encode: codec string and picture size', async (t) => {
  const c = parseHevcConfig(clip.record);
  // Main profile (1), compatible with Main and Main 10 (flags 0x60000000 reversed: 6), tier L, then the constraint bytes.
  t.match(c.codec, /^hvc1\.1\.6\.L\d+(\.[0-9A-F]{1,2})+$/, c.codec);
  t.equal(c.width, 330);
  t.equal(c.height, 170);
  t.equal(c.nalLengthSize, 4);
});

t.test('truncated and hostile HEVC records are refused with SC_ERR_CODEC_CONFIG, never read past', async (t) => {
  for (let n = 0; n < clip.record.length; n++) {
    try {
      parseHevcConfig(clip.record.subarray(0, n));
      t.fail(`a record cut at ${n} bytes was accepted`);
    } catch (err) {
      if (!isScError(err, 'SC_ERR_CODEC_CONFIG')) throw err;
    }
  }
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 2000; i++) {
    const bad = Buffer.from(clip.record);
    for (let k = 0; k < 3; k++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
    try {
      const c = parseHevcConfig(bad);
      t.ok(c.width <= 16_888 && c.height <= 16_888, 'a record that parses has a sane size');
    } catch (err) {
      if (!isScError(err, 'SC_ERR_CODEC_CONFIG')) throw err;
    }
  }
});

t.test('Enhanced RTMP hvc1 tags become hvc1 fMP4 that ffprobe decodes frame by frame', async (t) => {
  const c = parseHevcConfig(clip.record);
  const p = new StreamPackager({ segmentSeconds: 1, partSeconds: 0.2, windowSeconds: 30, clock: new ManualClock() });
  for (const tag of enhancedFlvTags(clip)) {
    if (tag.body[0]! & 0x0f) p.write(tag.type, tag.dts, tag.body);
    else p.setVideoConfig({ config: { codec: 'hevc', record: tag.body.subarray(5) }, width: c.width, height: c.height });
  }
  p.end();
  const uris = listedUris(p.rendition.playlistText());
  const bytes: Buffer[] = [];
  for (const u of [...uris.maps, ...uris.segments]) bytes.push((await p.rendition.file(u, 0))!);
  const dir = mkdtempSync(join(tmpdir(), 'sc-hevc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'v.mp4'), Buffer.concat(bytes));
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', join(dir, 'v.mp4')], { encoding: 'utf8' });
  t.equal(r.stderr, '');
  const s = (JSON.parse(r.stdout) as { streams: Array<Record<string, unknown>> }).streams[0]!;
  t.match(s, { codec_name: 'hevc', codec_tag_string: 'hvc1', width: 330, height: 170 });
  t.equal(Number(s.nb_read_frames), clip.samples.length, 'every frame decodes');
});
