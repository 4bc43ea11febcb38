#!/usr/bin/env node
// npm run bench:latency [-- --seconds 40] [--parts 0.1,0.33]
// Glass-to-glass latency measured from the picture: a pre-encoded clip carries its frame number as
// 12 black/white blocks in a band at the top; it is published with `-re -c copy`, played by hls.js in
// headless Chromium, and the page reads the blocks of every frame it presents. Latency = wall time the
// frame was seen - wall time it was sent (ffmpeg's -progress tells when each media time went out).
// Targets, one after the other in one run: spherecast LL-HLS (fMP4 parts, hls.js lowLatencyMode with the player's
// catch-up rate) through the edge and from the origin, the same with hls.js's defaults, spherecast's MPEG-TS path,
// and the reference nginx-rtmp (../shared/reference/nginx-origin.conf).
// Also reports, for LL-HLS, how long after a frame is sent the part holding it is listed.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startNginxOrigin, waitHttp } from './nginx-reference.mjs';
import { chromium } from 'playwright-core';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 40);
const partsIndex = process.argv.indexOf('--parts');
const partsArg = partsIndex > 0 ? process.argv[partsIndex + 1].split(',').map(Number).filter((n) => n > 0) : [];
const WARMUP = 12;
const FPS = 30;
const BITS = 12;
const work = mkdtempSync(join(tmpdir(), 'sc-bench-latency-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function clip() {
  const file = join(work, 'clip.flv');
  // The top quarter holds BITS vertical stripes, stripe k white when bit k of the frame number is set
  // (drawbox with a timeline expression: cheap, unlike a per-pixel geq).
  const stripe = (k) => `drawbox=x=${k}*iw/${BITS}:y=0:w=iw/${BITS}:h=ih/4:color=white:t=fill:enable='mod(floor(n/${2 ** k}),2)'`;
  const filters = ['format=yuv420p', `drawbox=x=0:y=0:w=iw:h=ih/4:color=black:t=fill`, ...Array.from({ length: BITS }, (_, k) => stripe(k))].join(',');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1280x640:rate=${FPS}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(SECONDS + 10), '-vf', filters, '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', String(FPS), '-b:v', '2500k',
    '-c:a', 'aac', '-b:a', '96k', '-f', 'flv', file]);
  return file;
}

const PAGE = `<!doctype html><meta charset="utf-8"><video id="v" muted autoplay playsinline></video>
<script src="/hls.js"></script><script>
const params = new URLSearchParams(location.search);
const v = document.getElementById('v');
const canvas = document.createElement('canvas');
canvas.width = ${BITS * 8}; canvas.height = 8;
const ctx = canvas.getContext('2d', { willReadFrequently: true });
window.samples = [];
// hls.js defaults otherwise (a liveSync* setting would override PART-HOLD-BACK as the target latency); a run may add
// settings such as maxLiveSyncPlaybackRate, which lets hls.js catch up to its target instead of staying where it began.
const hls = new Hls({ lowLatencyMode: params.get('ll') === '1', ...JSON.parse(params.get('cfg') || '{}') });
hls.loadSource(params.get('src'));
hls.attachMedia(v);
v.play().catch(() => {});
function onFrame(now, meta) {
  const seen = performance.timeOrigin + now;
  // Draw the band's middle row small: one 8x8 cell per stripe, read at each cell's centre.
  ctx.drawImage(v, 0, v.videoHeight / 8 - 1, v.videoWidth, 2, 0, 0, canvas.width, canvas.height);
  const px = ctx.getImageData(0, 4, canvas.width, 1).data;
  let frame = 0;
  for (let k = 0; k < ${BITS}; k++) if (px[(k * 8 + 4) * 4] > 128) frame += 2 ** k;
  window.samples.push([frame, seen]);
  v.requestVideoFrameCallback(onFrame);
}
v.requestVideoFrameCallback(onFrame);
</script>`;

function pageServer() {
  const hlsJs = readFileSync(resolve('node_modules/hls.js/dist/hls.min.js'));
  const server = createServer((req, res) => {
    if (req.url === '/hls.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

/** Publishes the clip and returns when each media time was sent: wall = t0 + media seconds. */
function publish(clipFile, url) {
  const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', clipFile, '-t', String(SECONDS), '-c', 'copy', '-f', 'flv', '-progress', 'pipe:1', '-stats_period', '0.1', url], { stdio: ['ignore', 'pipe', 'ignore'] });
  const sent = { t0: Infinity, proc: p };
  let buf = '';
  p.stdout.on('data', (d) => {
    const now = Date.now();
    buf += d;
    for (const m of buf.matchAll(/out_time_us=(\d+)/g)) sent.t0 = Math.min(sent.t0, now - Number(m[1]) / 1000);
    buf = buf.slice(buf.lastIndexOf('\n') + 1);
  });
  return sent;
}

/** Polls the LL playlist with blocking reloads; returns how long after sending each new part was listed. */
async function watchParts(playlistUrl, sent, until) {
  const delays = [];
  let msn;
  let part;
  let pdt0;
  const counted = new Set();
  while (Date.now() < until) {
    const q = msn === undefined ? '' : `?_HLS_msn=${msn}&_HLS_part=${part}`;
    let text;
    try {
      const r = await fetch(playlistUrl + q, { signal: AbortSignal.timeout(10_000) });
      if (!r.ok) { await sleep(200); continue; }
      text = await r.text();
    } catch { await sleep(200); continue; }
    const now = Date.now();
    // A part's media time: its segment's PROGRAM-DATE-TIME against segment 0's, plus the parts before it.
    if (pdt0 === undefined) {
      if (!/#EXT-X-MEDIA-SEQUENCE:0\n/.test(text)) break; // joined late: no way to place media times
      pdt0 = Date.parse(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(text)?.[1] ?? '');
    }
    let segStart = 0;
    let offset = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
        segStart = (Date.parse(line.slice(25)) - pdt0) / 1000;
        offset = 0;
      }
      const d = /^#EXT-X-PART:DURATION=([\d.]+),URI="([^"]+)"/.exec(line);
      if (!d) continue;
      offset += Number(d[1]);
      if (counted.has(d[2])) continue;
      counted.add(d[2]);
      if (now - sent.t0 > WARMUP * 1000 && Number.isFinite(sent.t0)) delays.push(now - (sent.t0 + (segStart + offset) * 1000));
    }
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(\d+)\.(\d+)\.m4s"/.exec(text);
    if (!hint || text.includes('#EXT-X-ENDLIST')) break;
    msn = Number(hint[1]);
    part = Number(hint[2]);
  }
  return delays;
}

async function measure(label, { rtmpUrl, playlistUrl, partsUrl, ll, hlsConfig = {} }, clipFile, browser, pageBase) {
  const sent = publish(clipFile, rtmpUrl);
  const until = Date.now() + (SECONDS - 2) * 1000;
  const context = await browser.newContext();
  const page = await context.newPage();
  await waitHttp(playlistUrl).catch(() => undefined);
  for (let i = 0; i < 100; i++) {
    if ((await fetch(playlistUrl).then((r) => r.status, () => 0)) === 200) break;
    await sleep(200);
  }
  await page.goto(`${pageBase}/?src=${encodeURIComponent(playlistUrl)}&ll=${ll ? 1 : 0}&cfg=${encodeURIComponent(JSON.stringify(hlsConfig))}`);
  const partDelays = partsUrl ? watchParts(partsUrl, sent, until) : Promise.resolve([]);
  await sleep(Math.max(0, until - Date.now()));
  const samples = await page.evaluate(() => window.samples);
  await context.close();
  sent.proc.kill('SIGINT');
  await new Promise((r) => (sent.proc.exitCode !== null ? r() : sent.proc.once('exit', r)));
  const lat = samples
    .filter(([, seen]) => seen - sent.t0 > WARMUP * 1000)
    .map(([frame, seen]) => seen - (sent.t0 + (frame / FPS) * 1000))
    // A misread stripe (a frame mid-decode) gives an absurd value; keep the physically possible ones.
    .filter((l) => l > 0 && l < 30_000)
    .sort((a, b) => a - b);
  const parts = (await partDelays).sort((a, b) => a - b);
  const q = (a, f) => (a.length ? a[Math.min(a.length - 1, Math.floor(a.length * f))] / 1000 : NaN);
  return { label, median: q(lat, 0.5), p90: q(lat, 0.9), frames: lat.length, partListed: parts.length ? q(parts, 0.5) : undefined, parts: parts.length };
}

/** The player's hls.js settings that bear on latency (src/player/player-controller.ts HLS_CONFIG). */
const PLAYER_HLS = { maxLiveSyncPlaybackRate: 1.5 };

async function runSpherecast(label, env, ll, clipFile, browser, pageBase, { hlsConfig = PLAYER_HLS, viaEdge = false } = {}) {
  const media = join(work, label.replace(/\W+/g, '-'));
  const procs = [];
  const stop = async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
  };
  procs.push(spawn(process.execPath, [resolve('dist/origin.js')], {
    env: { ...process.env, HOST: '127.0.0.1', RTMP_PORT: '19451', HTTP_PORT: '18181', MEDIA_DIR: media, HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '12', LOG_LEVEL: 'warn', RECORD: 'off', PUBLIC_DIR: 'none', ...env },
    stdio: 'ignore',
  }));
  let base = 'http://127.0.0.1:18181';
  try {
    await waitHttp('http://127.0.0.1:18181/healthz');
    if (viaEdge) {
      procs.push(spawn(process.execPath, [resolve('dist/edge.js')], {
        env: { ...process.env, HOST: '127.0.0.1', HTTP_PORT: '18182', ORIGINS: base, LOG_LEVEL: 'warn', DRAIN_DELAY: '0', PUBLIC_DIR: 'none' },
        stdio: 'ignore',
      }));
      base = 'http://127.0.0.1:18182';
      await waitHttp(`${base}/healthz`);
    }
    const variant = `${base}/hls/lat_1280/index.m3u8`;
    return await measure(label, { rtmpUrl: 'rtmp://127.0.0.1:19451/live/lat', playlistUrl: `${base}/hls/lat.m3u8`, partsUrl: ll ? variant : undefined, ll, hlsConfig }, clipFile, browser, pageBase);
  } finally {
    await stop();
  }
}

async function runNginx(clipFile, browser, pageBase) {
  const nginx = await startNginxOrigin(work, { fragment: 1, playlist: 12 });
  if (!nginx) return undefined;
  try {
    return await measure('nginx-rtmp', { rtmpUrl: `${nginx.rtmpBase}/lat`, playlistUrl: `${nginx.httpBase}/hls/lat.m3u8`, ll: false }, clipFile, browser, pageBase);
  } finally {
    await nginx.stop();
  }
}

const clipFile = clip();
const server = await pageServer();
const pageBase = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'] });
console.log(`latency bench: ${SECONDS} s per target (first ${WARMUP} s not counted), 1280x640 ${FPS} fps clip with 1 s keyframes sent with -re -c copy; 1 s segments`);
const results = [];
try {
  // The figure that matters: what a viewer with the spherecast player sees through the edge.
  results.push(await runSpherecast('LL via edge', { HLS_FORMAT: 'fmp4' }, true, clipFile, browser, pageBase, { viaEdge: true }));
  results.push(await runSpherecast('LL from origin', { HLS_FORMAT: 'fmp4' }, true, clipFile, browser, pageBase));
  // hls.js's own defaults: it stays at whatever latency it started with (no catch-up).
  results.push(await runSpherecast('LL, hls.js defaults', { HLS_FORMAT: 'fmp4' }, true, clipFile, browser, pageBase, { hlsConfig: {} }));
  // --parts 0.1,0.33: the same LL run at other part durations, for choosing HLS_PART by measurement.
  for (const part of partsArg) results.push(await runSpherecast(`LL part ${part} s`, { HLS_FORMAT: 'fmp4', HLS_PART: String(part) }, true, clipFile, browser, pageBase));
  results.push(await runSpherecast('spherecast TS', { HLS_FORMAT: 'ts' }, false, clipFile, browser, pageBase));
  const ref = await runNginx(clipFile, browser, pageBase);
  if (ref) results.push(ref);
  else console.log('nginx with the rtmp module is not installed (apt-get install nginx libnginx-mod-rtmp): no reference run');
} finally {
  await browser.close();
  server.close();
  rmSync(work, { recursive: true, force: true });
}
for (const r of results) {
  const listed = r.partListed === undefined ? '' : `   frame sent -> part listed median ${r.partListed.toFixed(3)} s (${r.parts} parts)`;
  console.log(`${r.label.padEnd(20)} glass-to-glass median ${r.median.toFixed(2)} s   p90 ${r.p90.toFixed(2)} s   (${r.frames} frames read)${listed}`);
}
const ref = results.find((r) => r.label === 'nginx-rtmp');
if (ref) for (const r of results) if (r !== ref) console.log(`ratio ${r.label} / nginx-rtmp: ${(r.median / ref.median).toFixed(2)}x`);
