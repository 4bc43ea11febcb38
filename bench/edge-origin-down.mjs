#!/usr/bin/env node
// npm run bench:edge-down — what viewers wait for while the only origin hangs. The real origin
// (node dist/origin.js) serves a playlist and segments from its VOD folder; the edge caches them
// (PLAYLIST_TTL_MAX and SEGMENT_TTL_MAX of 1 s, so both expire at once); then the origin is stopped
// with SIGSTOP and a playlist and an expired segment are asked for in turn, one at a time; then it
// is resumed with SIGCONT and the time until the edge serves the playlist again is measured.
// Every other edge setting is its default (UPSTREAM_TIMEOUT 10 s, ...).
//   EDGE_DIST=/tmp/edge-baseline/dist   the edge build to measure (default: this tree's dist)
//   BENCH_WORKERS=1,2                   edge WORKERS values to run, one after the other
//   BENCH_ROUNDS=3                      playlist + segment pairs asked for while the origin is hung
//   BENCH_HOLD=10                       seconds the origin stays stopped after them (probes back off meanwhile)
// Not a test: figures depend on the machine. Run after `npm run build`.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port.mjs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

const EDGE_DIST = resolve(process.env.EDGE_DIST ?? 'dist');
const WORKERS = (process.env.BENCH_WORKERS ?? '1').split(',').map(Number).filter((n) => n >= 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const HOLD_S = Number(process.env.BENCH_HOLD ?? 10);

const SEGMENT = Buffer.alloc(188 * 1000, 0x47);
const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:2.000,\nseg-1.ts\n#EXTINF:2.000,\nseg-2.ts\n';

const children = new Set();
const dirs = [];
function cleanup() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGCONT');
    } catch {
      // already gone
    }
    c.kill('SIGKILL');
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function start(script, env) {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', LOG_LEVEL: 'warn', DRAIN_DELAY: '0', SPOT_MONITOR: 'off', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** One GET, timed from sending to the end of the body. */
async function timed(url) {
  const t0 = performance.now();
  const res = await request(url, { headersTimeout: 120_000, bodyTimeout: 120_000 });
  await res.body.arrayBuffer();
  return { ms: performance.now() - t0, status: res.statusCode, cache: res.headers['x-media-cache-status'] ?? '-' };
}

async function untilUp(url, what) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await request(url);
      await r.body.dump();
      if (r.statusCode === 200) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${what} did not come up at ${url}`);
}

async function run(workers) {
  const media = mkdtempSync(join(tmpdir(), 'sc-bench-down-'));
  dirs.push(media);
  const show = join(media, 'egress', 'show');
  mkdirSync(show, { recursive: true });
  writeFileSync(join(show, 'index.m3u8'), PLAYLIST);
  for (const n of [1, 2]) writeFileSync(join(show, `seg-${n}.ts`), SEGMENT);
  const [rtmpPort, originPort, edgePort] = [await freePort(), await freePort(), await freePort()];
  const origin = start(resolve('dist/origin.js'), { MEDIA_DIR: media, RTMP_PORT: String(rtmpPort), HTTP_PORT: String(originPort), RECORD: 'off' });
  await untilUp(`http://127.0.0.1:${originPort}/healthz`, 'the origin');
  const edge = start(join(EDGE_DIST, 'edge.js'), {
    HTTP_PORT: String(edgePort),
    WORKERS: String(workers),
    PUBLIC_DIR: 'none',
    ORIGINS: `http://127.0.0.1:${originPort}`,
    PLAYLIST_TTL_MAX: '1',
    SEGMENT_TTL_MAX: '1',
  });
  const base = `http://127.0.0.1:${edgePort}`;
  await untilUp(`${base}/healthz`, 'the edge');
  const playlistUrl = `${base}/vod/show/index.m3u8`;
  const segmentUrl = `${base}/vod/show/seg-1.ts`;
  await timed(playlistUrl);
  await timed(segmentUrl);
  await sleep(1200);

  process.kill(origin.pid, 'SIGSTOP');
  const rows = [];
  for (let i = 1; i <= ROUNDS; i++) {
    rows.push({ request: `playlist #${i}`, ...(await timed(playlistUrl)) });
    rows.push({ request: `stale segment #${i}`, ...(await timed(segmentUrl)) });
  }
  await sleep(HOLD_S * 1000);
  process.kill(origin.pid, 'SIGCONT');
  const resumed = performance.now();
  let recovery = null;
  for (let i = 0; i < 600; i++) {
    const r = await timed(playlistUrl);
    if (r.status === 200) {
      recovery = performance.now() - resumed;
      break;
    }
    await sleep(50);
  }
  edge.kill('SIGKILL');
  origin.kill('SIGKILL');

  console.log(`\nedge ${EDGE_DIST}, WORKERS=${workers}: origin SIGSTOPped, requests one at a time`);
  console.log('request              status  X-Media-Cache-Status      ms');
  for (const r of rows) console.log(`${r.request.padEnd(20)} ${String(r.status).padEnd(7)} ${r.cache.padEnd(20)} ${r.ms.toFixed(0).padStart(7)}`);
  console.log(`after ${HOLD_S} s more stopped, then SIGCONT: playlist served again after ${recovery === null ? 'never (30 s)' : `${recovery.toFixed(0)} ms`}`);
}

try {
  for (const w of WORKERS) await run(w);
} finally {
  cleanup();
}
