// The live viewport renditions' plan (pure), their encoder arguments, and the declared source bitrate they take a
// share of (a bounded onMetaData reader, fuzzed).
import t from 'tap';
import { planLiveViewport } from '../../src/origin/live-viewport-plan';
import { ladderEncoderArgs } from '../../src/origin/ladder-encoder';
import { planLiveLadder } from '../../src/origin/live-ladder-plan';
import { declaredVideoBitrate } from '../../src/origin/declared-bitrate';
import { encodeAmf0 } from '../../src/origin/rtmp/amf0';
import { roiFilters } from '../../src/shared/layout/viewport-roi';
import { parseVideoRungs } from '../../src/shared/abr-ladder';
import { seededRandom } from '../../src/loadtest/think-time';

const settings = { count: 4, bitrateShare: 0.4, qoffset: -0.3 };
const equirect = { projection: 'equirect', stereo: 'mono' } as const;

t.test('a 2:1 mono equirect source: K rungs at its size, 360/K apart, the share of its declared bitrate', async (t) => {
  const plan = planLiveViewport({ width: 3840, height: 1920 }, equirect, 20_000_000, settings);
  t.same(plan.map((r) => [r.name, r.yaw, r.width, r.height, r.bitrate]), [
    ['yaw-000', 0, 3840, 1920, 8_000_000],
    ['yaw-090', 90, 3840, 1920, 8_000_000],
    ['yaw-180', 180, 3840, 1920, 8_000_000],
    ['yaw-270', 270, 3840, 1920, 8_000_000],
  ]);
  t.same(plan.map((r) => r.roi), [0, 90, 180, 270].map((yaw) => roiFilters(3840, 1920, yaw, 4, -0.3)), 'the transcoder\'s regions of interest');
  t.ok(plan.every((r) => r.maxrate > r.bitrate && r.bufsize === r.bitrate), 'a ceiling over the target, a one-second buffer, as the ladder');
});

t.test('no declared bitrate: 0.1 bit per pixel per frame, at the measured frame rate or 30', async (t) => {
  t.equal(planLiveViewport({ width: 512, height: 256 }, equirect, 0, settings)[0]!.bitrate, Math.round(512 * 256 * 30 * 0.1 * 0.4));
  t.equal(planLiveViewport({ width: 512, height: 256, frameRate: 25 }, equirect, 0, settings)[0]!.bitrate, Math.round(512 * 256 * 25 * 0.1 * 0.4));
});

t.test('none unless the picture is 2:1 mono equirect and K >= 2', async (t) => {
  t.same(planLiveViewport({ width: 512, height: 256 }, { projection: 'flat', stereo: 'mono' }, 1e6, settings), []);
  t.same(planLiveViewport({ width: 512, height: 256 }, { projection: 'equirect', stereo: 'top-bottom' }, 1e6, settings), [], 'stereo');
  t.same(planLiveViewport({ width: 512, height: 512 }, equirect, 1e6, settings), [], 'not 2:1');
  t.same(planLiveViewport({ width: 512, height: 256 }, undefined, 1e6, settings), [], 'layout unknown');
  t.same(planLiveViewport({ width: 512, height: 256 }, equirect, 1e6, { ...settings, count: 0 }), [], 'off');
});

t.test('one ffmpeg: the viewport rungs after the ladder\'s, each with its regions and adaptive quantisation', async (t) => {
  const ladder = planLiveLadder({ width: 512, height: 256 }, parseVideoRungs([{ width: 256, height: 128, bitrate: '200k' }]));
  const viewport = planLiveViewport({ width: 512, height: 256 }, equirect, 500_000, { ...settings, count: 2 });
  const args = ladderEncoderArgs([...ladder, ...viewport], 'ultrafast');
  t.equal(args[args.indexOf('-filter_complex') + 1], `[0:v:0]split=3[s0][s1][s2];[s0]scale=256:128,format=yuv420p[v0];[s1]scale=512:256,format=yuv420p,${viewport[0]!.roi}[v1];[s2]scale=512:256,format=yuv420p,${viewport[1]!.roi}[v2]`);
  t.equal(args.filter((a) => a === '-aq-mode').length, 2, 'only the viewport rungs (the fastest presets turn adaptive quantisation off)');
  t.equal(args.filter((a) => a === 'source').length, 3, 'keyframes at the source\'s for every rung');
  const viewportOnly = ladderEncoderArgs(viewport, 'ultrafast');
  t.same(viewportOnly.filter((a) => a.startsWith('pipe:')), ['pipe:0', 'pipe:3', 'pipe:4'], 'no ladder rungs: the viewport rungs alone');
});

t.test('declared bitrate: onMetaData videodatarate (kbit/s), nothing else', async (t) => {
  t.equal(declaredVideoBitrate(encodeAmf0('onMetaData', { width: 512, height: 256, videodatarate: 488.28125 })), 488_281);
  t.equal(declaredVideoBitrate(encodeAmf0('onMetaData', { width: 512 })), undefined, 'none declared');
  t.equal(declaredVideoBitrate(encodeAmf0('onMetaData', { videodatarate: 0 })), undefined, 'zero');
  t.equal(declaredVideoBitrate(encodeAmf0('onMetaData', { videodatarate: 5e9 })), undefined, 'absurd');
  t.equal(declaredVideoBitrate(encodeAmf0('onCuePoint', { videodatarate: 500 })), undefined, 'another data message');
  t.equal(declaredVideoBitrate(encodeAmf0('onMetaData', 'videodatarate')), undefined, 'not an object');
  t.equal(declaredVideoBitrate(Buffer.alloc(64 * 1024, 0x03)), undefined, 'too large or deep: refused, not thrown');
});

const SEED = 1515;
t.test(`fuzz: mutated and truncated onMetaData never throws (seed ${SEED})`, async (t) => {
  const random = seededRandom(SEED);
  const good = encodeAmf0('onMetaData', { duration: 0, width: 512, height: 256, videodatarate: 488.28125, framerate: 30, encoder: 'Lavf59', nested: { a: [1, 2, { b: 'c' }] } });
  let declared = 0;
  for (let i = 0; i < 3000; i++) {
    const bytes = Buffer.from(good.subarray(0, 1 + Math.floor(random() * good.length)));
    for (let f = Math.floor(random() * 6); f > 0; f--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    const got = declaredVideoBitrate(bytes);
    if (got !== undefined) {
      declared++;
      if (!(Number.isInteger(got) && got > 0 && got <= 1e9)) t.fail(`case ${i}: ${got}`);
    }
  }
  t.ok(declared > 0, `${declared} of 3000 still declared a rate, every one in bounds`);
});
