#!/usr/bin/env node
// npm run bench:origin [-- --streams 8 --seconds 40] [--together] [--ladder-only | --no-ladder] [--ladder-seconds 30]
// Publishes N concurrent streams from a pre-encoded clip with -c copy into spherecast's origin and,
// when nginx with the rtmp module is installed, into the reference nginx-rtmp origin
// (../shared/reference/nginx-origin.conf), one after the other in the same run. Reports the origin's
// CPU per stream (its whole process tree, ffmpeg children included) and the ingest-to-playlist
// latency (how long after a frame is sent its segment is listed), then the ratios. Both record
// every stream (spherecast RECORD=all, the reference's record all). For spherecast it also reports
// the in-process packager's own CPU per packet, from its /metrics counters.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startNginxOrigin, waitHttp } from './nginx-reference.mjs';
import { ladderBench } from './live-ladder-bench.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const STREAMS = arg('streams', 8);
const SECONDS = arg('seconds', 40);
const WARMUP = 8;
const FRAGMENT = 2;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const work = mkdtempSync(join(tmpdir(), 'sc-bench-origin-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuSecondsOfTree(root) {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const parent = new Map();
  const cpu = new Map();
  for (const p of procs) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(p), Number(f[1]));
      cpu.set(Number(p), (Number(f[11]) + Number(f[12])) / TICKS);
    } catch {}
  }
  let total = 0;
  for (const [pid, c] of cpu) {
    for (let q = pid; q; q = parent.get(q)) if (q === root) { total += c; break; }
  }
  return total;
}

async function clip() {
  const file = join(work, 'clip.flv');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'aevalsrc=sin(400*2*PI*t)', '-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=30',
    '-t', String(SECONDS + 20), '-vcodec', 'libx264', '-preset', 'veryfast', '-g', '30', '-b:v', '500k', '-c:a', 'aac', '-b:a', '160k', '-vf', 'format=yuv420p', '-f', 'flv', file]);
  return file;
}

/** Runs N publishers against one server; returns CPU % of one core per stream and latency samples. */
/** The packager's packet and CPU counters from spherecast's /metrics (undefined elsewhere). */
async function packagerCounters(metricsUrl) {
  if (!metricsUrl) return undefined;
  try {
    const text = await (await fetch(metricsUrl)).text();
    const read = (name) => Number(new RegExp(`^${name}\\S* (\\S+)$`, 'm').exec(text)?.[1]);
    return { packets: read('spherecast_origin_packager_packets_total'), cpu: read('spherecast_origin_packager_cpu_seconds_total') };
  } catch {
    return undefined;
  }
}

async function measure(label, { pid, rtmpBase, playlistUrl, metricsUrl }, clipFile) {
  const t0 = [];
  const pubs = [];
  for (let i = 0; i < STREAMS; i++) {
    t0.push(Date.now());
    pubs.push(spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', clipFile, '-t', String(SECONDS), '-c', 'copy', '-f', 'flv', `${rtmpBase}/s${i}`], { stdio: 'ignore' }));
  }
  // Latency: poll stream 0's variant playlist; each new segment's frames were sent at t0 + their media time.
  const seen = new Set();
  let mediaTime = 0;
  let firstSeq = -1;
  const latencies = [];
  let cpuStart = 0;
  let cpuStartAt = 0;
  let cpuEnd = 0;
  let cpuEndAt = 0;
  let pkgStart;
  const started = Date.now();
  while (Date.now() - started < (SECONDS - 2) * 1000) {
    const elapsed = (Date.now() - started) / 1000;
    if (!cpuStartAt && elapsed >= WARMUP) { cpuStart = cpuSecondsOfTree(pid); cpuStartAt = Date.now(); pkgStart = await packagerCounters(metricsUrl); }
    if (cpuStartAt) { cpuEnd = cpuSecondsOfTree(pid); cpuEndAt = Date.now(); }
    try {
      const r = await fetch(playlistUrl(0));
      if (r.ok) {
        const now = Date.now();
        const text = await r.text();
        const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
        const segs = [...text.matchAll(/#EXTINF:([\d.]+),?\s*\n(\S+)/g)].map((m) => ({ d: Number(m[1]), uri: m[2] }));
        if (firstSeq < 0) {
          if (seq !== 0 && segs.length) { firstSeq = -2; } else firstSeq = seq;
        }
        segs.forEach((s, i) => {
          if (seen.has(s.uri) || firstSeq < 0) return;
          seen.add(s.uri);
          if (seq + i < firstSeq) return;
          for (let f = 0; f < s.d * 30; f++) latencies.push(now - (t0[0] + (mediaTime + f / 30) * 1000));
          mediaTime += s.d;
        });
      }
    } catch {}
    await sleep(50);
  }
  const pkgEnd = await packagerCounters(metricsUrl);
  for (const p of pubs) p.kill('SIGINT');
  await Promise.all(pubs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)))));
  latencies.sort((a, b) => a - b);
  const median = latencies.length ? latencies[Math.floor(latencies.length / 2)] / 1000 : NaN;
  const cpuPct = ((cpuEnd - cpuStart) / ((cpuEndAt - cpuStartAt) / 1000)) * 100;
  const packager = pkgStart && pkgEnd && pkgEnd.packets > pkgStart.packets
    ? { packets: pkgEnd.packets - pkgStart.packets, microsPerPacket: ((pkgEnd.cpu - pkgStart.cpu) * 1e6) / (pkgEnd.packets - pkgStart.packets) }
    : undefined;
  return { label, cpuPerStream: cpuPct / STREAMS, latency: median, segments: seen.size, packager };
}

/** Starts spherecast's origin; `measure` runs against it, then it is stopped. */
async function withSpherecast(measureIt) {
  const media = join(work, 'spherecast');
  const proc = spawn(process.execPath, [resolve('dist/origin.js')], {
    env: { ...process.env, HOST: '127.0.0.1', RTMP_PORT: '19450', HTTP_PORT: '18180', MEDIA_DIR: media, HLS_FRAGMENT: String(FRAGMENT), HLS_PLAYLIST_LENGTH: '20', HLS_FORMAT: 'fmp4', RECORD: 'all', LOG_LEVEL: 'warn', PUBLIC_DIR: '' },
    stdio: 'ignore',
  });
  await waitHttp('http://127.0.0.1:18180/healthz');
  try {
    return await measureIt({ pid: proc.pid, rtmpBase: 'rtmp://127.0.0.1:19450/live', playlistUrl: (i) => `http://127.0.0.1:18180/hls/s${i}_1280/index.m3u8`, metricsUrl: 'http://127.0.0.1:18180/metrics' });
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}

/** Starts the reference nginx-rtmp origin (undefined when not installed); `measure` runs against it, then it is stopped. */
async function withNginx(measureIt) {
  const nginx = await startNginxOrigin(work, { fragment: FRAGMENT, playlist: 20 });
  if (!nginx) return undefined;
  try {
    return await measureIt({ pid: nginx.pid, rtmpBase: nginx.rtmpBase, playlistUrl: (i) => `${nginx.httpBase}/hls/s${i}_1280/index.m3u8` });
  } finally {
    await nginx.stop();
  }
}

/**
 * One after the other (default), or with `--together` both at once, each with its own N publishers: on a machine
 * whose load changes (a shared CI box) both then see the same conditions, which makes the ratio steadier.
 */
async function runBoth(clipFile) {
  if (!process.argv.includes('--together')) {
    const ours = await withSpherecast((s) => measure('spherecast', s, clipFile));
    const ref = await withNginx((s) => measure('nginx-rtmp', s, clipFile));
    return { ours, ref };
  }
  let ref;
  const ours = await withSpherecast(async (s) => {
    let oursResult;
    await withNginx(async (n) => {
      [oursResult, ref] = await Promise.all([measure('spherecast', s, clipFile), measure('nginx-rtmp', n, clipFile)]);
    });
    // Without nginx, spherecast alone.
    return oursResult ?? (await measure('spherecast', s, clipFile));
  });
  return { ours, ref };
}

// ---- live ladder section (LIVE_LADDER, issue #16): `--ladder-only` runs just this; `--no-ladder` skips it ----
const LADDER = process.argv.includes('--no-ladder') ? 'skip' : process.argv.includes('--ladder-only') ? 'only' : 'after';
if (LADDER === 'only') {
  await ladderBench({ work, seconds: arg('ladder-seconds', 30), cpuSecondsOfTree, waitHttp });
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
// ---- end of the live ladder section's start ----

const clipFile = await clip();
console.log(`origin bench: ${STREAMS} streams, ${SECONDS} s each, ${FRAGMENT} s fragments, 1280x720 660 kbit/s clip sent with -c copy, every stream recorded${process.argv.includes('--together') ? ', both servers measured at the same time' : ''}`);
console.log(`load average before the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores`);
const { ours, ref } = await runBoth(clipFile);
// With --together, 2N publishers start at once and their start-up on a busy machine lands in the latency (spawn time is
// taken as send time): only the sequential run's latency is reported.
const TOGETHER = process.argv.includes('--together');
const latencyText = (r) => (TOGETHER ? '(latency: run without --together)' : `ingest-to-playlist median ${r.latency.toFixed(2)} s   (${r.segments} segments observed)`);
const row = (r) => `${r.label.padEnd(12)} cpu/stream ${r.cpuPerStream.toFixed(2).padStart(6)} % of a core   ${latencyText(r)}`;
console.log(row(ours));
if (ours.packager) console.log(`${''.padEnd(12)} packager ${ours.packager.microsPerPacket.toFixed(1)} µs CPU per packet (${ours.packager.packets} packets; recording writes included)`);
if (ref) {
  console.log(row(ref));
  console.log(`ratios spherecast / nginx-rtmp: cpu ${(ours.cpuPerStream / ref.cpuPerStream).toFixed(2)}x${TOGETHER ? '' : `, latency ${(ours.latency / ref.latency).toFixed(2)}x`}`);
} else {
  console.log('nginx with the rtmp module is not installed (apt-get install nginx libnginx-mod-rtmp): no side-by-side run');
}
// ---- live ladder section (see above) ----
if (LADDER === 'after') await ladderBench({ work, seconds: arg('ladder-seconds', 30), cpuSecondsOfTree, waitHttp });
// ---- end of the live ladder section ----
rmSync(work, { recursive: true, force: true });
