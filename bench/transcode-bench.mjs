#!/usr/bin/env node
// npm run bench:transcode [-- --runs 2 --seconds 30 --keep --levers --presets]
// Generates a 1080p30 source with AAC audio (testsrc2 with grain, so x264 has detail and motion to
// work on), then, interleaved run by run so both see the same machine noise:
//  - the reference method (the workshop's transcoding-worker.sh): one ffmpeg encoding every rendition
//    to MP4 (each output scaled from the source by its own filter, -threads $(nproc)) plus the AAC,
//    then one `-c copy -f hls` segmenting run per rendition. Preset, bitrates, VBV and GOP are ours
//    (the script's keyint 30 and baseline profiles are not used, so both sides do the same x264 work);
//  - ours: `node dist/transcoder.js` as a worker on a local ingress/queue/egress, fed an S3 event.
// Prints wall time, speed (source seconds per wall second), CPU seconds of all processes, PSNR and
// SSIM of the 720p rendition against the source, ours' message-received -> master-published time,
// then the ratios, SSIM on every rung for both, and the ceilings: the reference's and our CPU seconds spread
// over every CPU, the least wall time each amount of work could take. --levers also runs ours without
// per-rung threads (RUNG_TUNING=[]), to show what that lever gives, and times the scaling cascade alone
// against scaling every rung from the source; pruned rungs are in the job log. --presets measures the
// per-rung preset lever: each rung encoded alone with each candidate x264 setting, its encoder CPU (decoding
// and scaling measured apart and taken off) and its SSIM, then the cheapest choice per rung that keeps the
// SSIM of the reference's setting.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { makeTestSource } from './test-source.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('runs', 1);
const SECONDS = arg('seconds', 30);
const KEEP = process.argv.includes('--keep');
const LEVERS = process.argv.includes('--levers');
const PRESETS = process.argv.includes('--presets');
const PRESET = process.env.PRESET || 'veryfast';
const SEGMENT = 10;
const FPS = 30;
const GOP = SEGMENT * FPS;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const SCRIPT = resolve('dist/transcoder.js');
const work = mkdtempSync(join(tmpdir(), 'sc-bench-transcode-'));
// The default ladder capped at a 1080p source: six renditions, then AAC 64k.
const LADDER = [
  { name: '180p', w: 320, h: 180, b: 110_000 },
  { name: '240p', w: 426, h: 240, b: 250_000 },
  { name: '360p', w: 640, h: 360, b: 500_000 },
  { name: '480p', w: 854, h: 480, b: 1_080_000 },
  { name: '720p', w: 1280, h: 720, b: 2_136_000 },
  { name: '1080p', w: 1920, h: 1080, b: 3_980_000 },
];

/** CPU seconds of this process's finished (reaped) children, or of a live process and its reaped children. */
function cpuOf(pid = 'self', self = false) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const v = f.slice(f.lastIndexOf(')') + 2).split(' ').map(Number);
  // utime stime cutime cstime are fields 14-17 (index 11-14 after the command).
  return ((self ? v[11] + v[12] : 0) + v[13] + v[14]) / TICKS;
}

function run(bin, args) {
  return new Promise((res, rej) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? res(err) : rej(new Error(`${bin} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`))));
  });
}

function makeSource() {
  return makeTestSource(join(work, 'source-1080p30.mp4'), SECONDS, FPS);
}

/** The reference's encoder options for one rung; `params` adds x264 options (the preset lever's variants). */
function x264Args(r, preset, params) {
  return ['-c:v', 'libx264', '-preset', preset, ...(params ? ['-x264-params', params] : []), '-pix_fmt', 'yuv420p',
    '-b:v', String(r.b), '-maxrate', String(Math.round(r.b * 1.1)), '-bufsize', String(r.b * 2),
    '-g', String(GOP), '-keyint_min', String(GOP), '-sc_threshold', '0', '-force_key_frames', `expr:gte(t,n_forced*${SEGMENT})`];
}

async function reference(source, out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const cpu0 = cpuOf();
  const t0 = performance.now();
  const args = ['-hide_banner', '-nostdin', '-y', '-i', source, '-threads', String(availableParallelism())];
  for (const r of LADDER) {
    args.push('-map', '0:v:0', '-filter:v', `scale=${r.w}:${r.h}`, ...x264Args(r, PRESET), '-an', '-movflags', 'faststart', join(out, `${r.name}.mp4`));
  }
  args.push('-map', '0:a:0', '-vn', '-c:a', 'aac', '-b:a', '64k', '-ac', '2', join(out, 'audio.m4a'));
  await run('ffmpeg', args);
  const encoded = performance.now();
  for (const name of [...LADDER.map((r) => r.name), 'audio']) {
    mkdirSync(join(out, name));
    await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-i', join(out, `${name}.${name === 'audio' ? 'm4a' : 'mp4'}`), '-c', 'copy', '-map', '0',
      '-f', 'hls', '-hls_time', String(SEGMENT), '-hls_playlist_type', 'vod', '-hls_segment_filename', join(out, name, 'seg_%05d.ts'), join(out, name, 'index.m3u8')]);
  }
  const wall = (performance.now() - t0) / 1000;
  return { wall, encodeWall: (encoded - t0) / 1000, cpu: cpuOf() - cpu0, renditions: out };
}

function startWorker(media, extraEnv) {
  const child = spawn(process.execPath, [SCRIPT], {
    // CHUNK_SECONDS=0: one worker's own path, however long the source (the fleet is bench:fleet).
    env: { ...process.env, MEDIA_DIR: media, PRESET, SPOT_MONITOR: 'off', METRICS_PORT: '0', RECEIVE_WAIT: '1', LOG_LEVEL: 'info', CHUNK_SECONDS: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = [];
  const waiters = new Set();
  createInterface({ input: child.stdout }).on('line', (raw) => {
    try { lines.push(JSON.parse(raw)); } catch { return; }
    for (const w of waiters) w();
  });
  child.on('exit', () => { for (const w of waiters) w(); });
  const waitFor = (pred, what) => new Promise((res, rej) => {
    const check = () => {
      const hit = lines.find(pred);
      if (hit) { waiters.delete(check); res(hit); }
      else if (child.exitCode !== null) { waiters.delete(check); rej(new Error(`worker exited before: ${what}`)); }
    };
    waiters.add(check);
    check();
  });
  return { child, lines, waitFor };
}

/** Puts the source in the local ingress and its S3 event on the local queue, as the origin's upload does. */
function submit(media, source, key) {
  mkdirSync(join(media, 'ingress', 'recordings'), { recursive: true });
  copyFileSync(source, join(media, 'ingress', 'recordings', key));
  const body = JSON.stringify({ Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: new Date().toISOString(), eventName: 'ObjectCreated:Put',
    s3: { s3SchemaVersion: '1.0', bucket: { name: 'ingress', arn: 'arn:aws:s3:::ingress' }, object: { key: `recordings/${key}`, size: statSync(source).size } } }] });
  const id = `${String(Date.now()).padStart(15, '0')}-${Math.random().toString(16).slice(2, 10).padEnd(16, '0')}`;
  for (const d of ['ready', 'tmp']) mkdirSync(join(media, 'queue', d), { recursive: true });
  writeFileSync(join(media, 'queue', 'tmp', id), JSON.stringify({ id, sentAt: Date.now(), body }));
  renameSync(join(media, 'queue', 'tmp', id), join(media, 'queue', 'ready', `${id}.0`));
}

async function ours(source, media, extraEnv = {}) {
  rmSync(media, { recursive: true, force: true });
  mkdirSync(media, { recursive: true });
  const w = startWorker(media, extraEnv);
  try {
    await w.waitFor((l) => l.msg === 'waiting for jobs', 'worker ready');
    const cpu0 = cpuOf(w.child.pid, true);
    const key = 'bench.mp4';
    submit(media, source, key);
    const done = await w.waitFor((l) => l.msg === 'job done' || /^job failed/.test(l.msg), 'job done');
    if (done.msg !== 'job done') throw new Error(done.msg);
    const cpu = cpuOf(w.child.pid, true) - cpu0;
    const planned = w.lines.find((l) => l.msg === 'transcode planned');
    // The asset's folder is named from the whole key (recordings/bench.mp4 -> recordings_bench.mp4~<hash>).
    const master = join(media, 'egress', done.master);
    if (!existsSync(master)) throw new Error(`no master published at ${master}`);
    return { wall: done.wallSeconds, cpu, latency: done.publishLatencySeconds, chunks: planned?.chunks ?? 1, pruned: planned?.pruned ?? [], format: planned?.format, renditions: dirname(master) };
  } finally {
    w.child.kill('SIGTERM');
    await new Promise((r) => (w.child.exitCode !== null ? r() : w.child.once('exit', r)));
  }
}

/** PSNR (average, dB) and SSIM (All) of a rendition (HLS or a file) against the source scaled to its size, frame by frame from the start. */
async function quality(playlist, source, w = 1280, h = 720) {
  const graph = `[0:v]setpts=PTS-STARTPTS,split[d1][d2];[1:v]scale=${w}:${h}:flags=bicubic,setpts=PTS-STARTPTS,split[r1][r2];[d1][r1]psnr;[d2][r2]ssim`;
  const err = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', playlist, '-i', source, '-lavfi', graph, '-f', 'null', '-']);
  const psnr = Number(/PSNR .*average:([0-9.]+|inf)/.exec(err)?.[1]);
  const ssim = Number(/SSIM .*All:([0-9.]+)/.exec(err)?.[1]);
  return { psnr, ssim };
}

const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

if (!existsSync(SCRIPT)) throw new Error('dist/transcoder.js is missing: run `npm run build` first');
console.log(`transcode bench: ${SECONDS} s 1080p${FPS} source with AAC, default ladder (6 renditions to 1080p + AAC 64k), preset ${PRESET}, ${SEGMENT} s segments, ${RUNS} run(s) each, interleaved, ${availableParallelism()} CPUs`);
const source = makeSource();
console.log(`source: ${(statSync(source).size / 1e6).toFixed(1)} MB (${work})`);
const refs = [];
const ourRuns = [];
const plainRuns = [];
for (let i = 0; i < RUNS; i++) {
  const r = await reference(source, join(work, `ref-${i}`));
  console.log(`  run ${i + 1} reference: wall ${fmt(r.wall)} s (encode ${fmt(r.encodeWall)} s + segmenting), cpu ${fmt(r.cpu, 1)} s`);
  refs.push(r);
  const o = await ours(source, join(work, `ours-${i}`));
  console.log(`  run ${i + 1} spherecast: transcode ${fmt(o.wall)} s in ${o.chunks} chunk(s), ${o.format}, ${o.pruned.length} rung(s) pruned, received -> master published ${fmt(o.latency)} s, cpu ${fmt(o.cpu, 1)} s`);
  ourRuns.push(o);
  if (LEVERS) {
    const p = await ours(source, join(work, `plain-${i}`), { RUNG_TUNING: '[]' });
    console.log(`  run ${i + 1} spherecast, x264's own threads (RUNG_TUNING=[]): transcode ${fmt(p.wall)} s, cpu ${fmt(p.cpu, 1)} s`);
    plainRuns.push(p);
  }
}
const playlist = (run, name) => join(run.renditions, name, 'index.m3u8');
const refQ = await quality(playlist(refs[refs.length - 1], '720p'), source);
const ourQ = await quality(playlist(ourRuns[ourRuns.length - 1], '720p'), source);
const refWall = median(refs.map((r) => r.wall));
const ourWall = median(ourRuns.map((r) => r.wall));
const refCpu = median(refs.map((r) => r.cpu));
const ourCpu = median(ourRuns.map((r) => r.cpu));
const row = (name, wall, cpu, q, latency) =>
  `${name.padEnd(28)} ${fmt(wall).padStart(8)} ${fmt(SECONDS / wall).padStart(8)}x ${fmt(cpu, 1).padStart(8)} ${fmt(q.psnr).padStart(9)} ${fmt(q.ssim, 4).padStart(8)} ${latency === undefined ? '       -' : fmt(latency).padStart(8)}`;
console.log(`${'method (median of runs)'.padEnd(28)} ${'wall s'.padStart(8)} ${'speed'.padStart(9)} ${'cpu s'.padStart(8)} ${'PSNR720'.padStart(9)} ${'SSIM720'.padStart(8)} ${'msg->mst'.padStart(8)}`);
console.log(row('reference (mp4 + segment)', refWall, refCpu, refQ));
console.log(row('spherecast worker', ourWall, ourCpu, ourQ, median(ourRuns.map((r) => r.latency))));
if (LEVERS) {
  const plainQ = await quality(playlist(plainRuns[plainRuns.length - 1], '720p'), source);
  const plainWall = median(plainRuns.map((r) => r.wall));
  console.log(row('  without per-rung threads', plainWall, median(plainRuns.map((r) => r.cpu)), plainQ, median(plainRuns.map((r) => r.latency))));
  console.log(`lever per-rung threads: speed ${fmt(plainWall / ourWall)}x, cpu ${fmt(ourCpu / median(plainRuns.map((r) => r.cpu)))}x`);
  await cascadeLever();
}
console.log(`ratios spherecast / reference: speed ${fmt(refWall / ourWall)}x, cpu ${fmt(ourCpu / refCpu)}x, PSNR ${fmt(ourQ.psnr - refQ.psnr)} dB, SSIM ${fmt(ourQ.ssim - refQ.ssim, 4)}`);

// Equal SSIM on one rung could hide a loss on another: every rung, both methods, last run.
console.log('SSIM per rung (last run)   reference    spherecast   difference');
for (const r of LADDER) {
  const a = await quality(playlist(refs[refs.length - 1], r.name), source, r.w, r.h);
  const b = await quality(playlist(ourRuns[ourRuns.length - 1], r.name), source, r.w, r.h);
  console.log(`  ${r.name.padEnd(24)} ${fmt(a.ssim, 4).padStart(9)} ${fmt(b.ssim, 4).padStart(13)} ${fmt(b.ssim - a.ssim, 4).padStart(12)}`);
}
// No method finishes before its CPU seconds spread over every CPU: the reference's work (same x264 settings as
// ours) and ours as measured, each at perfect use of every core.
const cpus = availableParallelism();
for (const [what, cpu] of [['the reference\'s work', refCpu], ['our work', ourCpu]]) {
  console.log(`ceiling at ${what}: ${fmt(cpu, 1)} CPU s on ${cpus} CPUs take at least ${fmt(cpu / cpus)} s -> speed at most ${fmt(refWall / (cpu / cpus))}x the reference's`);
}

if (PRESETS) await presetLever();

/**
 * The scaling cascade: the CPU of scaling every smaller rung from the source (as the reference does) against
 * ours (each from the smallest larger rung at least twice its size, else the source: the transcoder's
 * scaleParents), both without encoders, less a decode-only run.
 */
async function cascadeLever() {
  const smaller = LADDER.filter((r) => r.w < 1920).sort((a, b) => b.w - a.w);
  const sinks = smaller.flatMap((_, i) => ['-map', `[o${i}]`, '-f', 'null', '-']);
  const direct = `[0:v]split=${smaller.length}${smaller.map((_, i) => `[s${i}]`).join('')};${smaller.map((r, i) => `[s${i}]scale=${r.w}:${r.h}:flags=bicubic[o${i}]`).join(';')}`;
  const parent = smaller.map((r, i) => smaller.findLastIndex((q, p) => p < i && q.w >= 2 * r.w && q.h >= 2 * r.h));
  const feeds = (p) => smaller.flatMap((_, i) => (parent[i] === p ? [`[c${i}]`] : []));
  const cascade = [`[0:v]split=${feeds(-1).length}${feeds(-1).join('')}`,
    ...smaller.map((r, i) => `[c${i}]scale=${r.w}:${r.h}:flags=bicubic,split=${1 + feeds(i).length}[o${i}]${feeds(i).join('')}`)].join(';');
  const cpuOfRun = async (args) => {
    const c0 = cpuOf();
    await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', source, ...args]);
    return cpuOf() - c0;
  };
  const decode = await cpuOfRun(['-map', '0:v:0', '-f', 'null', '-']);
  const a = (await cpuOfRun(['-filter_complex', direct, ...sinks])) - decode;
  const b = (await cpuOfRun(['-filter_complex', cascade, ...sinks])) - decode;
  console.log(`lever scaling cascade: scaling ${fmt(b, 1)} CPU s against ${fmt(a, 1)} s each from the source (${fmt(b / a)}x; decoding, ${fmt(decode, 1)} s, taken off)`);
}

/**
 * The per-rung preset lever: each rung encoded alone from the source with each candidate setting. The decoding
 * and scaling of the rung are measured apart (a run without an encoder) and taken off, leaving the encoder's own
 * CPU; SSIM is against the source at the rung's size. The choice keeps the reference setting's SSIM to within
 * SSIM_TOLERANCE, so a rung may only go faster where the picture does not pay for it.
 */
async function presetLever() {
  const SSIM_TOLERANCE = 0.0005;
  const candidates = [
    { label: 'superfast', preset: 'superfast' },
    { label: `${PRESET} (reference)`, preset: PRESET, reference: true },
    { label: `${PRESET} me=dia`, preset: PRESET, params: 'me=dia' },
    { label: 'me=dia lookahead 20', preset: PRESET, params: 'me=dia:rc-lookahead=20' },
    { label: 'faster', preset: 'faster' },
  ];
  const dir = join(work, 'presets');
  mkdirSync(dir, { recursive: true });
  console.log(`per-rung preset lever: encoder CPU s (decoding and scaling taken off) and SSIM per rung; a choice must hold the reference's SSIM within ${SSIM_TOLERANCE}`);
  console.log(`  ${'rung'.padEnd(6)} ${candidates.map((c) => c.label.padStart(22)).join('')}   cheapest that holds SSIM`);
  let refTotal = 0;
  let bestTotal = 0;
  for (const r of LADDER) {
    const c0 = cpuOf();
    await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', source, '-map', '0:v:0', '-filter:v', `scale=${r.w}:${r.h}`, '-f', 'null', '-']);
    const base = cpuOf() - c0;
    const results = [];
    for (const c of candidates) {
      const file = join(dir, `${r.name}-${results.length}.mp4`);
      const t = cpuOf();
      await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-i', source, '-threads', String(availableParallelism()), '-map', '0:v:0', '-filter:v', `scale=${r.w}:${r.h}`,
        ...x264Args(r, c.preset, c.params), '-an', file]);
      const cpu = Math.max(0, cpuOf() - t - base);
      results.push({ ...c, cpu, ssim: (await quality(file, source, r.w, r.h)).ssim });
    }
    const ref = results.find((x) => x.reference);
    const best = results.filter((x) => x.ssim >= ref.ssim - SSIM_TOLERANCE).sort((a, b) => a.cpu - b.cpu)[0];
    refTotal += ref.cpu;
    bestTotal += best.cpu;
    console.log(`  ${r.name.padEnd(6)} ${results.map((x) => `${fmt(x.cpu, 1)} s ${fmt(x.ssim, 4)}`.padStart(22)).join('')}   ${best.label}`);
  }
  console.log(`lever per-rung presets: encoder CPU ${fmt(bestTotal, 1)} s against the reference setting's ${fmt(refTotal, 1)} s (${fmt(bestTotal / refTotal)}x)`);
}
if (!KEEP) rmSync(work, { recursive: true, force: true });
