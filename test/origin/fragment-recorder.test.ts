// The fMP4 recorder on the real packager's parts, as the origin wires them (HLS_FORMAT=fmp4),
// read back by ffprobe; and the bounded walk that finds where a torn recording is still whole.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTestFlv, readFlvTags, type FlvFileTag } from '../fixtures/flv-file';
import { recordFragments } from '../fixtures/fragmented-recording';
import { mp4CompleteLength } from '../../src/origin/mp4-complete-length';

const clipA = readFlvTags(encodeTestFlv({ seconds: 4, width: 320, height: 160, fps: 25, gop: 25 }));
const clipB = readFlvTags(encodeTestFlv({ seconds: 2, width: 256, height: 128, fps: 25, gop: 25 }));
const videoFrames = (tags: readonly FlvFileTag[]) => tags.filter((x) => x.type === 9 && x.body[1] === 1).length;

function frames(file: string): { frames: number; firstKey: boolean; size: string } {
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames,width,height', '-show_entries', 'frame=key_frame', '-read_intervals', '%+#1', '-of', 'json', file], { encoding: 'utf8' }));
  const all = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'json', file], { encoding: 'utf8' }));
  return { frames: Number(all.streams[0].nb_read_frames), firstKey: out.frames[0]?.key_frame === 1, size: `${out.streams[0].width}x${out.streams[0].height}` };
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sc-fragrec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('parts roll over on segment boundaries at the size limit and at a new codec configuration; each plays alone, together every frame once', async (t) => {
  const dir = tempDir(t);
  // Clip B's timeline continues after A's, with a new picture size: a new init segment mid-publish.
  const endA = Math.max(...clipA.map((x) => x.dts)) + 40;
  const tags = [...clipA, ...clipB.map((x) => ({ ...x, dts: x.dts + endA }))];
  const parts = await recordFragments(dir, 'cam', tags, 40_000);
  t.ok(parts.length >= 3, `${parts.length} parts`);
  let total = 0;
  const sizes: string[] = [];
  for (const p of parts) {
    t.match(p, /cam-\d{10}\.fmp4$/);
    const bytes = readFileSync(p);
    t.equal(bytes.toString('latin1', 4, 8), 'ftyp', 'starts with its init segment');
    const f = frames(p);
    t.ok(f.firstKey, `${p} starts on a keyframe`);
    total += f.frames;
    sizes.push(f.size);
  }
  t.equal(total, videoFrames(tags), 'every video frame in exactly one part');
  t.equal(sizes[0], '320x160');
  t.equal(sizes.at(-1), '256x128', 'the new configuration is in a part of its own');
  const byCodec = await recordFragments(tempDir(t), 'cam', tags);
  t.same(byCodec.map((p) => frames(p).size), ['320x160', '256x128'], 'under the size limit, the codec change alone starts a new part');
});

t.test('the whole length of a fragmented recording: a torn, zero-filled or garbage tail is cut at the last complete fragment', async (t) => {
  const dir = tempDir(t);
  const [part] = await recordFragments(dir, 'one', clipA);
  const whole = readFileSync(part!);
  const read = (buf: Buffer) => async (offset: number, length: number) => buf.subarray(offset, offset + length);
  const full = await mp4CompleteLength(whole.length, read(whole));
  t.equal(full.length, whole.length, 'a complete recording is whole');
  // Top-level boxes: ftyp, moov, then moof/mdat pairs.
  const ends: number[] = [];
  for (let p = 0; p < whole.length; p += whole.readUInt32BE(p)) ends.push(p + whole.readUInt32BE(p));
  t.equal(full.mdats, (ends.length - 2) / 2, 'one mdat per fragment');
  const lastMdatEnd = ends.at(-1)!;
  const fragmentStart = ends.at(-3)!;
  for (let cut = fragmentStart; cut < lastMdatEnd; cut += 97) {
    const torn = whole.subarray(0, cut);
    const e = await mp4CompleteLength(torn.length, read(torn));
    t.equal(e.length, fragmentStart, `cut at ${cut}: whole up to the fragment before`);
  }
  const zeros = Buffer.concat([whole, Buffer.alloc(5000)]);
  t.equal((await mp4CompleteLength(zeros.length, read(zeros))).length, whole.length, 'a zero-filled tail (power loss) is dropped');
  const garbage = Buffer.concat([whole, Buffer.from([0, 0, 0, 40, 0xff, 0x00, 0x01, 0x02]), Buffer.alloc(32, 7)]);
  t.equal((await mp4CompleteLength(garbage.length, read(garbage))).length, whole.length, 'a box with an unprintable type ends the walk');
  const initOnly = whole.subarray(0, ends[1]!);
  t.same(await mp4CompleteLength(initOnly.length, read(initOnly)), { length: initOnly.length, mdats: 0 }, 'an init segment alone has no media');
  // Seeded random damage: never a length past the file, never a throw, whole boxes only.
  let seed = 13;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 300; i++) {
    const bad = Buffer.from(whole.subarray(0, Math.floor(random() * whole.length)));
    for (let k = 0; k < 4; k++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
    const e = await mp4CompleteLength(bad.length, read(bad));
    t.ok(e.length <= bad.length && e.mdats <= full.mdats + bad.length / 8);
  }
});
