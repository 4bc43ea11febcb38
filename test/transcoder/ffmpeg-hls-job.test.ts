import t from 'tap';
import { avcCodecString, avcProfileIdc, hexDumpToBuffer } from '../../src/transcoder/avc-codec';
import { buildFilterGraph, buildOutputArgs, parseProgressLine, progressOf, scaleParents } from '../../src/transcoder/ffmpeg-hls-job';
import { DEFAULT_LADDER, planRenditions } from '../../src/transcoder/ladder';

t.test('progress lines: output time and speed; percent and ETA from the duration', async (t) => {
  const line = 'frame=  144 fps=0.0 q=-1.0 Lq=-1.0 size=N/A time=00:01:06.50 bitrate=N/A speed=2.5x';
  t.same(parseProgressLine(line), { time: 66.5, speed: 2.5 });
  t.same(parseProgressLine('frame=1 time=-00:00:00.02 speed=N/A'), { time: 0, speed: undefined });
  t.equal(parseProgressLine('Input #0, mov,mp4, from x.mp4:'), undefined);
  t.same(progressOf({ time: 30, speed: 2 }, 120), { time: 30, speed: 2, percent: 25, etaSeconds: 45 });
  t.same(progressOf({ time: 30 }, undefined), { time: 30, speed: undefined });
});

t.test('H.264 codec strings from Annex B and avcC extradata', async (t) => {
  const dump = '\n00000000: 0000 0167 42c0 16da 0280 a6c0 4400 0003  ...gB.......D...\n00000010: 0004 0000 0300 c03c 58ba 8000 0000 0168  .......<X......h\n00000020: ce3c 80                                  .<.\n';
  const bytes = hexDumpToBuffer(dump);
  t.equal(bytes.length, 35);
  t.equal(avcCodecString(bytes), 'avc1.42c016');
  t.equal(avcCodecString(Buffer.from([1, 0x64, 0x00, 0x1f, 0xff])), 'avc1.64001f');
  t.equal(avcCodecString(Buffer.from([0, 0, 1, 0x68, 1, 2, 3])), undefined, 'a PPS alone is not enough');
  t.equal(avcProfileIdc('High'), 100);
});

t.test('one filter graph: one decode, cascaded scaling, cubemaps from v360, outputs in plan order', async (t) => {
  const plan = planRenditions({ width: 1280, height: 640, fps: 30 }, DEFAULT_LADDER, { segmentSeconds: 2, cubemap: true });
  const graph = buildFilterGraph(plan);
  t.equal((graph.match(/\[0:v\]/g) ?? []).length, 1, 'the source is read once');
  t.equal((graph.match(/v360=/g) ?? []).length, 1);
  for (let i = 0; i < plan.video.length; i++) t.match(graph, `[r${i}]`);
  // Each scale reads the source, the cubemap's largest faces (v360's output), or a rendition at least twice its size.
  const size = new Map<string, { w: number; h: number }>([['src0', { w: 1280, h: 640 }], ['src1', { w: 1280, h: 640 }]]);
  const whole = new Set(['src0', 'src1']);
  for (const part of graph.split(';').slice(1)) {
    const [input, ...outs] = [...part.matchAll(/\[(\w+)\]/g)].map((m) => m[1]);
    const from = size.get(input);
    if (!from) {
      t.fail(`${part}: reads a picture made before it`);
      continue;
    }
    const made = /(?:scale=|v360=.*:w=)(\d+):(?:h=)?(\d+)/.exec(part);
    const own = made ? { w: Number(made[1]), h: Number(made[2]) } : from;
    if (part.includes('scale=') && !whole.has(input)) t.ok(from.w >= 2 * own.w && from.h >= 2 * own.h, `${part}: from a picture twice its size`);
    for (const out of outs) {
      size.set(out, own);
      if (part.includes('v360=') || (!made && whole.has(input))) whole.add(out);
    }
  }
  t.match(graph, /\[src0\]split=\d+\[c0_0\]/, 'the source feeds the largest rendition and those under half its size');
  t.match(graph, '[c0_0]scale=1280:640:flags=bicubic,setsar=1,split=');
  t.same(scaleParents([{ width: 1920, height: 1080 }, { width: 1280, height: 720 }, { width: 854, height: 480 }, { width: 640, height: 360 }, { width: 426, height: 240 }, { width: 320, height: 180 }], -1), [-1, -1, 0, 1, 2, 3]);
  t.same(scaleParents([{ width: 1536, height: 1024 }, { width: 960, height: 640 }, { width: 480, height: 320 }], 0), [-1, 0, 1], 'a cubemap falls back to its largest');
  const args = buildOutputArgs({ outDir: '/o', plan, preset: 'veryfast', threads: 2 });
  const at = (k: string) => args[args.indexOf(k) + 1];
  t.equal(at('-g'), String(plan.gop));
  t.equal(at('-keyint_min'), String(plan.gop));
  t.equal(at('-sc_threshold'), '0');
  t.equal(at('-hls_time'), '2');
  t.equal(at('-b:v:0'), String(plan.video[0].bitrate));
  t.equal(at('-threads'), '2');
  t.equal(at('-var_stream_map').split(' ').length, plan.video.length + 1);
  t.match(at('-var_stream_map'), /a:0,name:audio$/);
});

t.test('chunk runs: video-only or audio-only stream maps, input seek, and a timestamp offset', async (t) => {
  const plan = planRenditions({ width: 1920, height: 1080, fps: 30 }, DEFAULT_LADDER, { segmentSeconds: 10 });
  const video = buildOutputArgs({ outDir: '/o', plan, preset: 'veryfast', threads: 0, streams: 'video', tsOffset: 30 });
  const at = (args: string[], k: string) => args[args.indexOf(k) + 1];
  t.notOk(video.includes('0:a:0'), 'no audio in a video chunk');
  t.notOk(video.includes('-c:a'));
  t.equal(at(video, '-output_ts_offset'), '30');
  t.equal(at(video, '-var_stream_map'), '180p 240p 360p 480p 720p 1080p'.split(' ').map((n, i) => `v:${i},name:${n}`).join(' '));
  t.equal(at(video, '-g'), '300');
  const audio = buildOutputArgs({ outDir: '/o', plan, preset: 'veryfast', threads: 0, streams: 'audio', tsOffset: 10 });
  t.same(audio.filter((a) => a === '-map'), ['-map'], 'one map: the audio');
  t.equal(at(audio, '-map'), '0:a:0');
  t.notOk(audio.includes('-c:v'), 'no video encoder');
  t.equal(at(audio, '-var_stream_map'), 'a:0,name:audio');
  const whole = buildOutputArgs({ outDir: '/o', plan, preset: 'veryfast', threads: 0 });
  t.notOk(whole.includes('-output_ts_offset'), 'the one-run job keeps its timestamps');
  t.notOk(whole.includes('-threads'), 'threads 0: ffmpeg decides');
});
