// The bounded FLV demuxer that reads the live ladder's ffmpeg output: real ffmpeg FLV in any
// chunking, limits, and a seeded fuzz.
import t from 'tap';
import { FlvTagReader, type FlvTag } from '../../src/origin/flv-tag-reader';
import { flvHeader, flvTag } from '../../src/origin/flv-writer';
import { isScError } from '../../src/shared/errors';
import { seededRandom } from '../../src/loadtest/think-time';
import { encodeTestFlv, readFlvTags } from '../fixtures/flv-file';

const SEED = 20261126;
const flv = encodeTestFlv({ seconds: 2, width: 160, height: 80, fps: 30, gop: 30 });
const expected = readFlvTags(flv);

function readAll(bytes: Buffer, chunkSize: () => number, maxTagBytes = 1 << 20): FlvTag[] {
  const out: FlvTag[] = [];
  const r = new FlvTagReader(maxTagBytes, (tag) => out.push({ ...tag, body: Buffer.from(tag.body) }));
  for (let p = 0; p < bytes.length; ) {
    const n = Math.max(1, Math.min(bytes.length - p, chunkSize()));
    r.push(bytes.subarray(p, p + n));
    p += n;
  }
  return out;
}

t.test('every tag of a real ffmpeg FLV, whatever the chunk sizes', async (t) => {
  t.ok(expected.length > 100);
  t.same(readAll(flv, () => flv.length), expected, 'in one piece');
  t.same(readAll(flv, () => 1), expected, 'byte by byte');
  const random = seededRandom(SEED);
  t.same(readAll(flv, () => Math.floor(random() * 5000)), expected, 'in random pieces');
});

t.test('32-bit timestamps (the extended byte) come back whole', async (t) => {
  const bytes = Buffer.concat([flvHeader(false, true), flvTag(9, 0x1234_5678, Buffer.from([0x17, 1, 0, 0, 0, 9]))]);
  t.same(readAll(bytes, () => 7).map((x) => x.dts), [0x1234_5678]);
});

t.test('limits: a tag over the cap and a bad signature are refused', async (t) => {
  const big = Buffer.concat([flvHeader(true, true), flvTag(9, 0, Buffer.alloc(5000))]);
  t.throws(() => readAll(big, () => 20, 4096), /FLV tag of 5000 bytes, over 4096/);
  t.throws(() => readAll(Buffer.from('GIF89a....................'), () => 100), /FLV signature missing/);
});

t.test(`fuzz: mutated and truncated FLV never throws anything but SC_ERR_MEDIA (seed ${SEED})`, async (t) => {
  const random = seededRandom(SEED + 1);
  const cases = 300;
  let refused = 0;
  for (let i = 0; i < cases; i++) {
    const bytes = Buffer.from(flv.subarray(0, 13 + Math.floor(random() * Math.min(flv.length - 13, 20_000))));
    const flips = 1 + Math.floor(random() * 8);
    for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    try {
      for (const tag of readAll(bytes, () => 1 + Math.floor(random() * 3000), 64 * 1024)) {
        if (tag.body.length > 64 * 1024) throw new Error('a tag over the cap came out');
      }
    } catch (err) {
      if (!isScError(err, 'SC_ERR_MEDIA')) throw err;
      refused++;
    }
  }
  t.comment(`${cases} cases, ${refused} refused`);
  t.pass('no other error');
});
