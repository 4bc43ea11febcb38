#!/usr/bin/env node
// npm run bench:fleet [-- --seconds 600 --chunk 60 --workers 1,2,4 --keep --no-calibrate]
// Bench (b) of issue #16: one 1080p30 recording (default 10 minutes, testsrc2 with grain and a tone)
// transcoded by 1, 2 and 4 `node dist/transcoder.js` worker processes with the fleet path (CHUNK_SECONDS),
// every encoder on one thread, each run on a fresh local ingress, egress and queue. For each: the time
// from the S3 event being sent to the master being published, the CPU seconds of all processes, the
// speed (source seconds per wall second), how the chunks were shared, and where the time went (plan,
// chunks, stitch). Then it measures libx265 against libx264 per pixel (one thread each, the presets the
// ladder uses), and from all of it models a 2-hour 3840x1920 360 recording on 20 Spot workers (see
// deploy/README.md, "Transcoding one recording on the whole fleet").
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { makeTestSource } from './test-source.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const SECONDS = Number(arg('seconds', 600));
const CHUNK = Number(arg('chunk', 60));
const WORKERS = String(arg('workers', '1,2,4')).split(',').map(Number);
const KEEP = process.argv.includes('--keep');
const CALIBRATE = !process.argv.includes('--no-calibrate');
const PRESET = process.env.PRESET || 'veryfast';
const FPS = 30;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const SCRIPT = resolve('dist/transcoder.js');
const work = mkdtempSync(join(tmpdir(), 'sc-bench-fleet-'));
// Every rendition on one encoder thread: the workers, not the threads, share the cores.
const ONE_THREAD = JSON.stringify([{ maxPixels: 1e9, threads: 1 }]);

/** CPU seconds (user + system) of a live process and its reaped children (its ffmpegs). */
function cpuOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const v = f.slice(f.lastIndexOf(')') + 2).split(' ').map(Number);
  return (v[11] + v[12] + v[13] + v[14]) / TICKS;
}

function makeSource() {
  return makeTestSource(join(work, 'source-1080p30.mp4'), SECONDS, FPS);
}

function startWorker(media, at) {
  const child = spawn(process.execPath, [SCRIPT], {
    env: {
      ...process.env, MEDIA_DIR: media, PRESET, THREADS: '1', RUNG_TUNING: ONE_THREAD, CHUNK_SECONDS: String(CHUNK),
      SPOT_MONITOR: 'off', METRICS_PORT: '0', RECEIVE_WAIT: '1', LOG_LEVEL: 'info', PARALLEL_CHUNKS: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = [];
  const waiters = new Set();
  createInterface({ input: child.stdout }).on('line', (raw) => {
    try {
      lines.push({ ...JSON.parse(raw), at: performance.now() - at });
    } catch {
      return;
    }
    for (const w of waiters) w();
  });
  child.on('exit', () => { for (const w of waiters) w(); });
  const waitFor = (pred, what) => new Promise((res, rej) => {
    const check = () => {
      const hit = lines.find(pred);
      if (hit) { waiters.delete(check); res(hit); } else if (child.exitCode !== null) { waiters.delete(check); rej(new Error(`worker exited before: ${what}`)); }
    };
    waiters.add(check);
    check();
  });
  return { child, lines, waitFor };
}

/** The S3 event the origin's upload puts on the local queue (the shape of src/shared/s3-event.ts), written whole then renamed in. */
function queueEvent(queueDir, key, size) {
  const id = `${String(Date.now()).padStart(15, '0')}-${Math.random().toString(16).slice(2, 10).padEnd(16, '0')}`;
  const body = JSON.stringify({ Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventTime: new Date().toISOString(), eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'ingress' }, object: { key, size } } }] });
  for (const d of ['ready', 'tmp']) mkdirSync(join(queueDir, d), { recursive: true });
  writeFileSync(join(queueDir, 'tmp', id), JSON.stringify({ id, sentAt: Date.now(), body }));
  renameSync(join(queueDir, 'tmp', id), join(queueDir, 'ready', `${id}.0`));
}

async function fleetRun(source, n) {
  const media = join(work, `run-${n}`);
  mkdirSync(join(media, 'ingress'), { recursive: true });
  copyFileSync(source, join(media, 'ingress', 'bench.mp4'));
  const t0 = performance.now();
  const workers = Array.from({ length: n }, () => startWorker(media, t0));
  for (const w of workers) await w.waitFor((l) => l.msg === 'waiting for jobs', 'ready');
  const sent = performance.now() - t0;
  queueEvent(join(media, 'queue'), 'bench.mp4', statSync(source).size);
  const published = await Promise.any(workers.map((w) => w.waitFor((l) => l.msg === 'master published', 'master published')));
  const cpu = workers.reduce((s, w) => s + cpuOf(w.child.pid), 0);
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => (w.child.exitCode === null ? new Promise((r) => w.child.on('exit', r)) : undefined)));
  const all = workers.flatMap((w) => w.lines);
  const planned = all.find((l) => l.msg === 'job planned for the fleet');
  const lastResult = Math.max(...all.filter((l) => l.msg === 'chunk done' || l.msg === 'audio done').map((l) => l.at));
  const wall = (published.at - sent) / 1000;
  if (!KEEP) rmSync(media, { recursive: true, force: true });
  return {
    n,
    wall,
    cpu,
    speed: SECONDS / wall,
    chunks: planned.chunks,
    perWorker: workers.map((w) => w.lines.filter((l) => l.msg === 'chunk done').length),
    plan: (planned.at - sent) / 1000,
    stitch: (published.at - lastResult) / 1000,
  };
}

/** Reaped-children CPU seconds of this process after one encode of `seconds` of the source at 1080p on one thread. */
function encodeCpu(source, seconds, codec) {
  const out = join(work, `cal.${codec}.mp4`);
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-threads', '1', '-t', String(seconds), '-i', source, '-an', '-preset', PRESET, '-b:v', '4M'];
  args.push(...(codec === 'hevc' ? ['-c:v', 'libx265', '-x265-params', 'pools=1:frame-threads=1:log-level=error'] : ['-c:v', 'libx264', '-threads', '1']), out);
  const child = spawn('ffmpeg', args, { stdio: 'ignore' });
  // This process's reaped children: every fleet worker before it, and this ffmpeg.
  return new Promise((res) => child.on('exit', () => {
    const f = readFileSync('/proc/self/stat', 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ').map(Number);
    res((v[13] + v[14]) / TICKS);
  }));
}

const px = (rungs) => rungs.reduce((s, [w, h]) => s + w * h, 0);
// The default flat ladder capped at a 1080p source (what the runs above encode), and the default 360 ladder
// capped at a 3840x1920 source: the two largest rungs are above H.264 level 4.2, so HEVC (src/transcoder/ladder.ts).
const LADDER_1080 = [[320, 180], [426, 240], [640, 360], [854, 480], [1280, 720], [1920, 1080]];
const LADDER_360_H264 = [[640, 320], [960, 480], [1280, 640], [1920, 960]];
const LADDER_360_HEVC = [[2880, 1440], [3840, 1920]];

console.log(`fleet bench: ${SECONDS} s 1080p${FPS} source, CHUNK_SECONDS ${CHUNK}, PRESET ${PRESET}, one encoder thread per worker, ${availableParallelism()} CPUs here`);
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine is shared: figures are from a busy machine unless this is low)`);
const t0 = performance.now();
const source = makeSource();
console.log(`source made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const results = [];
for (const n of WORKERS) {
  const r = await fleetRun(source, n);
  results.push(r);
  console.log(
    `${String(n).padStart(2)} worker(s)  message-to-master ${r.wall.toFixed(1).padStart(7)} s  speed ${r.speed.toFixed(3)}x  cpu ${r.cpu.toFixed(1).padStart(7)} s` +
      `  chunks ${r.chunks} (per worker ${r.perWorker.join('/')})  plan ${r.plan.toFixed(1)} s  stitch ${r.stitch.toFixed(1)} s  load ${loadavg()[0].toFixed(2)}`,
  );
}
const one = results.find((r) => r.n === 1) ?? results[0];
for (const r of results) if (r !== one) console.log(`speed-up ${r.n} workers / ${one.n}: ${(one.wall / r.wall).toFixed(2)}x`);

let hevcFactor = 4;
if (CALIBRATE) {
  const cal = 4;
  const before = await encodeCpu(source, 0.04, 'h264');
  const a = await encodeCpu(source, cal, 'h264');
  const b = await encodeCpu(source, cal, 'hevc');
  const h264 = a - before;
  const hevc = b - a;
  hevcFactor = hevc / h264;
  console.log(`calibration, ${cal} s of 1080p, one thread, preset ${PRESET}: libx264 ${h264.toFixed(1)} CPU s, libx265 ${hevc.toFixed(1)} CPU s -> HEVC costs ${hevcFactor.toFixed(2)}x H.264 per pixel`);
}

// The model (assumptions in deploy/README.md). CPU per source second, not this machine's wall clock (it is shared),
// scales with the pixels the ladder encodes, HEVC pixels weighted by the factor above; the costliest run's CPU
// is taken (it carries the most per-chunk overhead). A c6i.xlarge-class Spot worker (4 vCPUs = 2 cores) keeps its
// 2 cores busy with one-thread encoders, as 2 or more workers do here. Chunks run in waves of 20 workers; each
// worker downloads the whole source once (18 GB at 100 MB/s) and keeps it for its later chunks (source-cache.ts);
// the stitch takes what it took here.
const cpuPerSecond = Math.max(...results.map((r) => r.cpu / SECONDS));
const factor = (px(LADDER_360_H264) + hevcFactor * px(LADDER_360_HEVC)) / px(LADDER_1080);
const cores = 2;
const perWorker = cores / (cpuPerSecond * factor);
const duration = 7200;
const chunkSeconds = 120;
const chunks = Math.ceil(duration / chunkSeconds);
const fleet = 20;
const waves = Math.ceil(chunks / fleet);
const chunkWall = chunkSeconds / perWorker;
const download = (duration * 20e6) / 8 / 100e6;
const stitch = Math.max(...results.map((r) => r.stitch));
const plan = download + Math.max(...results.map((r) => r.plan));
const total = plan + download + waves * chunkWall + stitch;
console.log(`model: 1080p ladder ${cpuPerSecond.toFixed(2)} CPU s per source second; the 4K 360 ladder costs ${factor.toFixed(2)}x that; one 2-core worker ${perWorker.toFixed(4)}x real time`);
console.log(
  `model: 2 h 3840x1920 on ${fleet} workers, ${chunkSeconds} s chunks: plan ${(plan / 60).toFixed(1)} min, ${chunks} chunks in ${waves} waves of ${(chunkWall / 60).toFixed(1)} min` +
    ` + one ${(download / 60).toFixed(1)} min download per worker, stitch ${stitch.toFixed(1)} s -> ${(total / 3600).toFixed(2)} h (one worker alone: ${((duration / perWorker) / 3600).toFixed(1)} h)`,
);
if (!KEEP) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
