// The bounded box walker and the sample-entry rewrite on real ffmpeg output: ffprobe reads the layout back, every
// box size adds up, and hostile bytes are refused with an Error (never a crash, a hang or a huge allocation).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBox, MAX_BOXES, readBoxes } from '../../../src/shared/mp4/box-reader';
import { withSampleEntryBoxes } from '../../../src/shared/mp4/sample-entry-boxes';
import { sphericalBoxes } from '../../../src/shared/mp4/spherical-boxes';

const dir = mkdtempSync(join(tmpdir(), 'sc-seb-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A fragmented MP4 (empty moov, then fragments) as ffmpeg's fMP4 muxers write it. */
function fragmented(codec: 'libx264' | 'libx265'): Buffer {
  const file = join(dir, `${codec}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=128x64:rate=10', '-t', '1', '-c:v', codec, '-preset', 'ultrafast',
    ...(codec === 'libx265' ? ['-tag:v', 'hvc1', '-x265-params', 'log-level=error'] : []), '-pix_fmt', 'yuv420p', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', file]);
  return readFileSync(file);
}

function sideData(bytes: Buffer): Array<Record<string, unknown>> {
  const file = join(dir, 'probe.mp4');
  writeFileSync(file, bytes);
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', file], { encoding: 'utf8' }));
  t.equal(Number(out.streams[0].nb_read_frames), 10, 'every frame still decodes');
  return out.streams[0].side_data_list ?? [];
}

function sizesAddUp(buf: Buffer, from = 0, to = buf.length): void {
  for (const b of readBoxes(buf, from, to)) if (['moov', 'trak', 'mdia', 'minf', 'stbl'].includes(b.type)) sizesAddUp(buf, b.payload, b.end);
}

t.test('H.264 and HEVC: the boxes land in the sample entry, ffprobe reads them, the rest is untouched', async (t) => {
  for (const codec of ['libx264', 'libx265'] as const) {
    const file = fragmented(codec);
    t.same(sideData(file), [], `${codec}: no side data before`);
    const out = withSampleEntryBoxes(file, sphericalBoxes({ projection: 'equirect', stereo: 'top-bottom', view: { yaw: 45, pitch: 0 } }));
    sizesAddUp(out);
    t.match(sideData(out), [{ side_data_type: 'Stereo 3D', type: 'top and bottom' }, { side_data_type: 'Spherical Mapping', projection: 'equirectangular', yaw: 45 }]);
    const moovIn = findBox(file, 'moov')!;
    const moovOut = findBox(out, 'moov')!;
    t.ok(out.subarray(moovOut.end).equals(file.subarray(moovIn.end)), `${codec}: the fragments after the moov are byte for byte the same`);
    // Again with another layout: the old boxes are replaced, not doubled.
    const again = withSampleEntryBoxes(out, sphericalBoxes({ projection: 'cubemap', stereo: 'mono' }));
    const data = sideData(again);
    t.equal(data.filter((d) => d.side_data_type === 'Spherical Mapping').length, 1);
    t.match(data, [{ type: '2D' }, { projection: 'cubemap' }]);
    t.equal(again.length, out.length - 8, 'st3d and sv3d replaced, not added: cbmp (20 bytes) is 8 shorter than equi (28)');
  }
});

t.test('refusals: no moov, no video sample entry, chunk offsets (a non-fragmented MP4)', async (t) => {
  t.throws(() => withSampleEntryBoxes(Buffer.from('\0\0\0\x08free'), sphericalBoxes({ projection: 'equirect', stereo: 'mono' })), /no moov/);
  const plain = join(dir, 'plain.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x32:rate=5', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', plain]);
  t.throws(() => withSampleEntryBoxes(readFileSync(plain), sphericalBoxes({ projection: 'equirect', stereo: 'mono' })), /chunk offsets/);
  const audio = join(dir, 'audio.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine', '-t', '0.5', '-c:a', 'aac', '-movflags', 'frag_keyframe+empty_moov', audio]);
  t.throws(() => withSampleEntryBoxes(readFileSync(audio), sphericalBoxes({ projection: 'equirect', stereo: 'mono' })), /no visual sample entry/);
  t.equal(withSampleEntryBoxes(readFileSync(audio), []).length, readFileSync(audio).length, 'no boxes: unchanged');
});

t.test('readBoxes: sizes past the end, 64-bit sizes, size 0 and too many boxes', async (t) => {
  t.throws(() => readBoxes(Buffer.from('\0\0\0\x10moov\0\0\0\0')), /claims 16 bytes, 12 left/);
  t.throws(() => readBoxes(Buffer.from('\0\0\0\x04moov')), /claims 4 bytes/);
  t.throws(() => readBoxes(Buffer.from('\0\0\0')), /stray bytes/);
  const large = Buffer.alloc(24);
  large.writeUInt32BE(1, 0);
  large.write('free', 4, 'latin1');
  large.writeBigUInt64BE(24n, 8);
  t.same(readBoxes(large), [{ type: 'free', start: 0, payload: 16, end: 24 }]);
  large.writeBigUInt64BE(2n ** 62n, 8);
  t.throws(() => readBoxes(large), /claims/);
  t.same(readBoxes(Buffer.from('\0\0\0\0mdat1234')), [{ type: 'mdat', start: 0, payload: 8, end: 12 }], 'size 0 runs to the end');
  const many = Buffer.alloc(8 * (MAX_BOXES + 1));
  for (let i = 0; i <= MAX_BOXES; i++) many.writeUInt32BE(8, i * 8);
  t.throws(() => readBoxes(many), /more than 4096 boxes/);
});

t.test('fuzz (seeded): mutated init segments give a valid file or an Error, nothing else', async (t) => {
  const base = fragmented('libx264');
  const init = base.subarray(0, findBox(base, 'moov')!.end);
  const boxes = sphericalBoxes({ projection: 'equirect', stereo: 'mono' });
  let seed = 0x16c0de;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  let ok = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const m = Buffer.from(init);
    for (let k = 1 + rand(4); k > 0; k--) {
      const at = rand(m.length);
      if (rand(3) === 0) m.writeUInt32BE(rand(2) ? rand(0x10000) : 0xffffffff - rand(16), Math.min(at, m.length - 4));
      else m[at] = rand(256);
    }
    try {
      const out = withSampleEntryBoxes(m, boxes);
      sizesAddUp(out);
      ok++;
    } catch (err) {
      if (!(err instanceof Error) || err instanceof RangeError) throw err;
      refused++;
    }
  }
  t.equal(ok + refused, 3000, `${ok} rewritten, ${refused} refused`);
  t.ok(ok > 0 && refused > 0, 'both outcomes occur');
});
