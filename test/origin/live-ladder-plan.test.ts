// The live ladder's plan (pure) and the LIVE_LADDER parser shared with the transcoder's LADDER.
import t from 'tap';
import { parseVideoRungs } from '../../src/shared/abr-ladder';
import { planLiveLadder } from '../../src/origin/live-ladder-plan';
import { ladderEncoderArgs } from '../../src/origin/ladder-encoder';

const rungs = parseVideoRungs([
  { width: 3840, height: 2160, bitrate: '16M' },
  { width: 1920, height: 1080, bitrate: '4M' },
  { width: 1280, height: 720, bitrate: '2M' },
  { width: 640, height: 360, bitrate: '500k' },
]);

t.test('a 2:1 source stays 2:1, largest first, nothing as large as the source or larger', async (t) => {
  const plan = planLiveLadder({ width: 3840, height: 1920 }, rungs);
  t.same(plan.map((r) => [r.name, r.width, r.height]), [['960p', 1920, 960], ['640p', 1280, 640], ['320p', 640, 320]]);
  for (const r of plan) t.equal(r.width, 2 * r.height, `${r.name} is 2:1`);
  t.same(plan.map((r) => r.bitrate), [4_000_000, 2_000_000, 500_000]);
  t.ok(plan.every((r) => r.maxrate > r.bitrate && r.bufsize === r.bitrate), 'a ceiling over the target, a one-second buffer');
});

t.test('never upscale: a small source gets only the rungs below it, or none', async (t) => {
  t.same(planLiveLadder({ width: 1280, height: 720 }, rungs).map((r) => r.name), ['360p'], 'the 720p box equals the source: left out');
  t.same(planLiveLadder({ width: 640, height: 360 }, rungs), []);
  t.same(planLiveLadder({ width: 0, height: 0 }, rungs), [], 'no picture size, no ladder');
});

t.test('two boxes that fit to one size give one rendition, the higher bitrate', async (t) => {
  // A tall source is bounded by height: both boxes give 90x160.
  const plan = planLiveLadder({ width: 180, height: 320 }, parseVideoRungs([{ width: 640, height: 160, bitrate: '300k' }, { width: 320, height: 160, bitrate: '200k' }]));
  t.same(plan.map((r) => [r.width, r.height, r.bitrate]), [[90, 160, 300_000]]);
});

t.test('LIVE_LADDER takes video rungs only: the source\'s audio is carried unchanged', async (t) => {
  t.same(parseVideoRungs([{ width: 640, height: 320, bitrate: 500000 }]), [{ width: 640, height: 320, bitrate: 500_000 }]);
  t.throws(() => parseVideoRungs([{ width: 640, height: 320, bitrate: '500k' }, { audio: '64k' }]), /entry 2: no audio entry here/);
  t.throws(() => parseVideoRungs([]), /at least one video rung/);
  t.throws(() => parseVideoRungs({ width: 1 }), /JSON array of \{"width","height","bitrate"\} rungs$/);
  t.throws(() => parseVideoRungs([{ width: 8, height: 320, bitrate: '500k' }]), /width must be a whole number of pixels/);
});

t.test('one ffmpeg: one decode, a scaled copy per rung, keyframes only where the source has them', async (t) => {
  const plan = planLiveLadder({ width: 3840, height: 1920 }, rungs);
  const args = ladderEncoderArgs(plan, 'veryfast');
  t.equal(args.filter((a) => a === '-i').length, 1, 'one input');
  t.equal(args[args.indexOf('-filter_complex') + 1], '[0:v:0]split=3[s0][s1][s2];[s0]scale=1920:960,format=yuv420p[v0];[s1]scale=1280:640,format=yuv420p[v1];[s2]scale=640:320,format=yuv420p[v2]');
  t.same(args.filter((a) => a.startsWith('pipe:')), ['pipe:0', 'pipe:3', 'pipe:4', 'pipe:5'], 'source on stdin, one pipe per rung');
  t.equal(args.filter((a) => a === 'source').length, 3, '-force_key_frames source for every rung');
  t.equal(args.filter((a) => a === 'keyint=infinite:scenecut=0').length, 3, 'and no keyframes of x264\'s own');
  const single = ladderEncoderArgs(plan.slice(0, 1), 'veryfast');
  t.equal(single[single.indexOf('-filter_complex') + 1], '[0:v:0]scale=1920:960,format=yuv420p[v0]');
});
