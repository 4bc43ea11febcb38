import t from 'tap';
import {
  DEFAULT_360_LADDER,
  DEFAULT_LADDER,
  fitsH264Level42,
  fitToBox,
  HEVC_BITRATE_SHARE,
  isEquirectangular,
  ladderToJson,
  parseBitrate,
  parseLadder,
  planRenditions,
  pruneRungs,
} from '../../src/transcoder/ladder';

const seg = { segmentSeconds: 10 };

t.test('a 2:1 equirectangular source keeps 2:1 in every rendition, no 16:9 padding', async (t) => {
  const plan = planRenditions({ width: 3840, height: 1920, fps: 30 }, DEFAULT_LADDER, seg);
  t.ok(plan.video.length >= 6);
  for (const r of plan.video) {
    t.equal(r.width / r.height, 2, `${r.name} is ${r.width}x${r.height}`);
    t.equal(r.width % 2, 0);
    t.equal(r.height % 2, 0);
  }
  t.same(plan.video.map((r) => `${r.width}x${r.height}`), ['320x160', '424x212', '640x320', '852x426', '1280x640', '1920x960', '2560x1280', '3840x1920']);
});

t.test('every size is even and within a pixel of the source aspect', async (t) => {
  const plan = planRenditions({ width: 1280, height: 640, fps: 25 }, DEFAULT_LADDER, seg);
  t.same(plan.video.map((r) => `${r.width}x${r.height}`), ['320x160', '424x212', '640x320', '852x426', '1280x640']);
  for (const r of plan.video) {
    t.equal(r.width % 2 + (r.height % 2), 0);
    t.ok(Math.abs(r.width / r.height - 2) < 0.02, `${r.width}x${r.height}`);
  }
});

t.test('a 16:9 source gets the reference sizes; those above H.264 level 4.2 in HEVC only', async (t) => {
  const plan = planRenditions({ width: 3840, height: 2160, fps: 30 }, DEFAULT_LADDER, seg);
  t.same(plan.video.map((r) => `${r.width}x${r.height}`), DEFAULT_LADDER.video.map((r) => `${r.width}x${r.height}`));
  t.same(plan.video.map((r) => r.codec), ['h264', 'h264', 'h264', 'h264', 'h264', 'h264', 'hevc', 'hevc']);
  t.same(plan.video.map((r) => r.name).slice(-3), ['1080p', '1440p-hevc', '2160p-hevc']);
  t.same(
    plan.video.map((r) => r.bitrate),
    DEFAULT_LADDER.video.map((r, i) => (i >= 6 ? Math.round(r.bitrate * HEVC_BITRATE_SHARE) : r.bitrate)),
  );
  const ts = planRenditions({ width: 3840, height: 2160, fps: 30 }, DEFAULT_LADDER, { ...seg, hevc: false });
  t.ok(ts.video.every((r) => r.codec === 'h264'), 'TS output cannot carry HEVC: every rung stays H.264');
});

t.test('never upscales: a 640x360 source stops at 640x360', async (t) => {
  const plan = planRenditions({ width: 640, height: 360, fps: 30 }, DEFAULT_LADDER, seg);
  t.same(plan.video.map((r) => [r.width, r.height, r.bitrate]), [
    [320, 180, 110_000],
    [426, 240, 250_000],
    [640, 360, 500_000],
  ]);
});

t.test('a source between rungs gets a top rendition at its own size with a proportional bitrate', async (t) => {
  const plan = planRenditions({ width: 1000, height: 500, fps: 30 }, DEFAULT_LADDER, seg);
  const top = plan.video[plan.video.length - 1];
  t.same([top.width, top.height], [1000, 500]);
  t.equal(top.bitrate, Math.round((2_136_000 * 1000 * 500) / (1280 * 640)));
  t.ok(plan.video.every((r) => r.width <= 1000 && r.height <= 500));
});

t.test('a source smaller than the smallest rung gets one rendition at its even size', async (t) => {
  const plan = planRenditions({ width: 201, height: 101, fps: 30 }, DEFAULT_LADDER, seg);
  t.same(plan.video.map((r) => [r.width, r.height]), [[200, 100]]);
  t.ok(plan.video[0].bitrate > 0 && plan.video[0].bitrate <= 110_000);
});

t.test('bitrates above the source bitrate are capped at it; maxrate and bufsize follow', async (t) => {
  const plan = planRenditions({ width: 1920, height: 1080, fps: 30, bitrate: 1_500_000 }, DEFAULT_LADDER, seg);
  t.same(plan.video.map((r) => r.bitrate), [110_000, 250_000, 500_000, 1_080_000, 1_500_000, 1_500_000]);
  for (const r of plan.video) t.ok(r.maxrate > r.bitrate && r.bufsize > r.maxrate);
});

t.test('the audio rendition and the GOP: segment length times fps, the same for all', async (t) => {
  const plan = planRenditions({ width: 640, height: 320, fps: 29.97 }, DEFAULT_LADDER, { segmentSeconds: 4 });
  t.same(plan.audio, { name: 'audio', bitrate: 64_000 });
  t.equal(plan.gop, 120);
  t.equal(planRenditions({ width: 640, height: 320, fps: 24 }, DEFAULT_LADDER, seg).gop, 240);
});

t.test('cubemap adds a 3x2 set only for 2:1 sources, with unique names', async (t) => {
  const plan = planRenditions({ width: 1280, height: 640, fps: 30 }, DEFAULT_LADDER, { segmentSeconds: 2, cubemap: true });
  const cubes = plan.video.filter((r) => r.projection === 'cubemap');
  t.equal(cubes.length, plan.video.length / 2);
  t.same(cubes.map((r) => `${r.width}x${r.height}`), ['240x160', '318x212', '480x320', '640x426', '960x640']);
  t.equal(new Set(plan.video.map((r) => r.name)).size, plan.video.length);
  const flat = planRenditions({ width: 1280, height: 720, fps: 30 }, DEFAULT_LADDER, { segmentSeconds: 2, cubemap: true });
  t.notOk(flat.video.some((r) => r.projection === 'cubemap'), '16:9 is not equirectangular');
  t.ok(isEquirectangular({ width: 4096, height: 2048 }));
  t.notOk(isEquirectangular({ width: 1920, height: 1080 }));
});

t.test('fitToBox fits inside the box on the binding side', async (t) => {
  t.same(fitToBox({ width: 1920, height: 960 }, { width: 1280, height: 720 }), { width: 1280, height: 640 });
  t.same(fitToBox({ width: 1080, height: 1920 }, { width: 1280, height: 720 }), { width: 406, height: 720 });
});

t.test('bad sources are refused with a reason', async (t) => {
  t.throws(() => planRenditions({ width: 0, height: 100, fps: 30 }, DEFAULT_LADDER, seg), /size/);
  t.throws(() => planRenditions({ width: 100, height: 100, fps: 0 }, DEFAULT_LADDER, seg), /frame rate/);
});

t.test('LADDER parsing: the default round-trips; bad entries name the entry and the reason', async (t) => {
  t.same(parseLadder(ladderToJson(DEFAULT_LADDER)), DEFAULT_LADDER);
  t.same(parseLadder([{ width: 640, height: 320, bitrate: 500000 }, { audio: '96k' }]), { video: [{ width: 640, height: 320, bitrate: 500_000 }], audioBitrate: 96_000 });
  t.equal(parseBitrate('2.5M'), 2_500_000);
  t.throws(() => parseLadder({}), /JSON array/);
  t.throws(() => parseLadder([{ audio: '64k' }]), /at least one video rung/);
  t.throws(() => parseLadder([{ width: 640, height: 360, bitrate: '1k' }]), /audio/);
  t.throws(() => parseLadder([{ width: 640.5, height: 360, bitrate: '1M' }, { audio: '64k' }]), /entry 1: width/);
  t.throws(() => parseLadder([{ width: 640, height: 360, bitrate: 'fast' }, { audio: '64k' }]), /entry 1: bitrate/);
  t.throws(() => parseLadder([{ width: 640, height: 360, bitrate: '1M' }, { audio: '64k' }, { audio: '96k' }]), /only one audio/);
});

t.test('pruning: a rung within 15 % of the kept rung above it, or of the same size, is left out; the top stays', async (t) => {
  const r = (width: number, height: number, bitrate: number) => ({ width, height, bitrate });
  // The case: 480p at 612k next to 720p at 611k (both capped at a low-bitrate source).
  const capped = pruneRungs([r(640, 360, 500_000), r(854, 480, 612_000), r(1280, 720, 611_000)], 0.15);
  t.same(capped.kept, [r(640, 360, 500_000), r(1280, 720, 611_000)], '480p goes: 720p is within 15 %; 360p stays (22 % below)');
  t.equal(capped.pruned.length, 1);
  t.match(capped.pruned[0], { width: 854, height: 480, bitrate: 612_000, reason: /854x480 at 612k is within -?\d+ % of 1280x720 at 611k/ });
  const chain = pruneRungs([r(320, 180, 100_000), r(640, 360, 110_000), r(1280, 720, 120_000)], 0.15);
  t.same(chain.kept.map((k) => k.width), [320, 1280], 'each is compared with the next kept rung above it: 640 goes (9 %), 320 stays (20 %)');
  t.same(pruneRungs([r(640, 320, 500_000), r(640, 320, 900_000)], 0.15).kept, [r(640, 320, 900_000)], 'the same picture size');
  t.same(pruneRungs([r(640, 360, 500_000), r(1280, 720, 576_000)], 0.15).kept.length, 2, 'just over 15 % apart: both stay');
  t.same(pruneRungs([r(640, 360, 500_000), r(1280, 720, 575_000)], 0.15).kept.length, 1, 'exactly 15 %: pruned');
  t.same(pruneRungs([r(640, 360, 500_000), r(1280, 720, 510_000)], 0).kept.length, 2, 'within 0: off');
});

t.test('planRenditions prunes after capping at the source bitrate, and reports it', async (t) => {
  const plan = planRenditions({ width: 1920, height: 1080, fps: 30, bitrate: 600_000 }, DEFAULT_LADDER, { ...seg, pruneWithin: 0.15 });
  t.same(plan.video.map((r) => `${r.height}p ${r.bitrate}`), ['180p 110000', '240p 250000', '360p 500000', '1080p 600000']);
  t.same(plan.pruned.map((p) => `${p.height}p`), ['720p', '480p'], '480p and 720p capped at 600k add nothing next to 1080p');
  t.same(planRenditions({ width: 1920, height: 1080, fps: 30, bitrate: 600_000 }, DEFAULT_LADDER, seg).pruned, [], 'off unless asked');
});

t.test('the 360 ladder: viewport-sized 2:1 rungs up to the source, 5760x2880 in HEVC', async (t) => {
  const big = planRenditions({ width: 5760, height: 2880, fps: 30 }, DEFAULT_360_LADDER, seg);
  t.same(big.video.map((r) => `${r.width}x${r.height} ${r.codec}`), [
    '640x320 h264',
    '960x480 h264',
    '1280x640 h264',
    '1920x960 h264',
    '2880x1440 hevc',
    '3840x1920 hevc',
    '5760x2880 hevc',
  ]);
  const fourK = planRenditions({ width: 3840, height: 1920, fps: 30 }, DEFAULT_360_LADDER, { ...seg, codecs: ['h264', 'hevc'] });
  t.equal(fourK.video.at(-1)!.width, 3840, 'never above the source');
  t.same(fourK.video.filter((r) => r.width === 1920).map((r) => r.name), ['960p', '960p-hevc'], 'VOD_CODECS=h264,hevc: both codecs where H.264 can go');
  t.same(fourK.video.filter((r) => r.width === 3840).map((r) => r.name), ['1920p-hevc'], 'HEVC only above level 4.2');
});

t.test('H.264 level 4.2 limits: MaxFS 8704 macroblocks, MaxMBPS 522240', async (t) => {
  t.ok(fitsH264Level42(1920, 1080, 60), '1080p60: 8160 MBs, 489600 MB/s');
  t.notOk(fitsH264Level42(1920, 1080, 66), 'too many macroblocks per second');
  t.notOk(fitsH264Level42(2560, 1280, 30), '12800 MBs');
  t.notOk(fitsH264Level42(3840, 1920, 30));
  t.ok(fitsH264Level42(2048, 1024, 30), '2048x1024: 8192 MBs');
  t.notOk(fitsH264Level42(4320, 128, 30), 'a side longer than sqrt(8 x MaxFS) macroblocks');
});
