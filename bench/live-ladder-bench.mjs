// The live ladder section of `npm run bench:origin` (LIVE_LADDER, issue #16): one 1280x640 (2:1)
// stream published with -c copy into spherecast's origin three times: without a ladder, with one
// rung and with two. Reports the origin's CPU (its whole process tree, the ladder's ffmpeg
// included) for each, so the CPU of one rendition and the fixed cost of the shared decode show,
// and the latency the ladder adds: for each LL-HLS part listed in both (after a warm-up), how much
// later the rung's playlist lists it than the source's.
import { spawn, execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePort } from './free-port.mjs';

const FRAGMENT = 2;
const WARMUP = 6;
const RUNGS = [{ width: 854, height: 854, bitrate: '1M' }, { width: 640, height: 640, bitrate: '500k' }];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function clip(work, seconds) {
  const file = join(work, 'ladder-clip.flv');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'aevalsrc=sin(400*2*PI*t)', '-f', 'lavfi', '-i', 'testsrc=size=1280x640:rate=30',
    '-t', String(seconds + 10), '-vcodec', 'libx264', '-preset', 'veryfast', '-g', '30', '-b:v', '2M', '-c:a', 'aac', '-b:a', '128k', '-vf', 'format=yuv420p', '-f', 'flv', file]);
  return file;
}

/** Part URIs (`<msn>.<i>.m4s`) a playlist lists now. */
const parts = (text) => [...text.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((m) => m[1]);

async function run(label, ladder, { work, seconds, clipFile, cpuSecondsOfTree, waitHttp }) {
  const media = join(work, `ladder-${label.replace(/\W/g, '')}`);
  const [rtmpPort, httpPort] = [await freePort(), await freePort()];
  const http = `http://127.0.0.1:${httpPort}`;
  const env = { ...process.env, HOST: '127.0.0.1', RTMP_PORT: String(rtmpPort), HTTP_PORT: String(httpPort), MEDIA_DIR: media, HLS_FRAGMENT: String(FRAGMENT), HLS_PLAYLIST_LENGTH: '20', LOG_LEVEL: 'warn', PUBLIC_DIR: '', RECORD: 'off', LIVE_LADDER: ladder.length ? JSON.stringify(ladder) : '' };
  const proc = spawn(process.execPath, [resolve('dist/origin.js')], { env, stdio: 'ignore' });
  try {
    // Up to a minute: on a loaded machine the origin's start alone can outlast waitHttp's 15 s.
    for (let i = 0; ; i++) {
      try {
        await waitHttp(`${http}/healthz`);
        break;
      } catch (err) {
        if (i === 3) throw err;
      }
    }
  } catch (err) {
    proc.kill('SIGTERM');
    throw err;
  }
  const pub = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', clipFile, '-t', String(seconds), '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/lad`], { stdio: 'ignore' });
  const firstSeen = { source: new Map(), rung: new Map() };
  const measureLatency = ladder.length > 0;
  let rungVariant;
  let cpuStart = 0;
  let cpuStartAt = 0;
  let cpuEnd = 0;
  let cpuEndAt = 0;
  const started = Date.now();
  try {
    while (Date.now() - started < (seconds - 2) * 1000) {
      const elapsed = (Date.now() - started) / 1000;
      if (!cpuStartAt && elapsed >= WARMUP) { cpuStart = cpuSecondsOfTree(proc.pid); cpuStartAt = Date.now(); }
      if (cpuStartAt) { cpuEnd = cpuSecondsOfTree(proc.pid); cpuEndAt = Date.now(); }
      if (measureLatency) {
        try {
          if (!rungVariant) {
            const master = await (await fetch(`${http}/hls/lad.m3u8`)).text();
            rungVariant = master.split('\n').filter((l) => l.endsWith('/index.m3u8')).map((l) => l.split('/')[0]).find((v) => !v.endsWith('_1280'));
          }
          const [s, r] = await Promise.all(['lad_1280', rungVariant].map(async (v) => (v ? (await fetch(`${http}/hls/${v}/index.m3u8`)).text() : '')));
          const now = Date.now();
          // After the warm-up only: ffmpeg's start is a one-off, not latency every part pays.
          for (const p of parts(s)) if (!firstSeen.source.has(p)) firstSeen.source.set(p, elapsed >= WARMUP ? now : NaN);
          for (const p of parts(r)) if (!firstSeen.rung.has(p)) firstSeen.rung.set(p, now);
        } catch {}
      }
      await sleep(measureLatency ? 20 : 200);
    }
  } finally {
    pub.kill('SIGINT');
    await new Promise((r) => (pub.exitCode !== null ? r() : pub.once('exit', r)));
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
  const added = [];
  for (const [p, at] of firstSeen.rung) if (firstSeen.source.get(p) >= 0) added.push(at - firstSeen.source.get(p));
  added.sort((a, b) => a - b);
  return {
    label,
    cpu: ((cpuEnd - cpuStart) / ((cpuEndAt - cpuStartAt) / 1000)) * 100,
    addedMedian: added.length ? added[Math.floor(added.length / 2)] / 1000 : NaN,
    addedP90: added.length ? added[Math.floor(added.length * 0.9)] / 1000 : NaN,
    parts: added.length,
  };
}

/** Runs the section; `helpers` are the origin bench's CPU reader and HTTP wait. */
export async function ladderBench({ work, seconds, cpuSecondsOfTree, waitHttp }) {
  const clipFile = clip(work, seconds);
  const ctx = { work, seconds, clipFile, cpuSecondsOfTree, waitHttp };
  console.log(`live ladder: one 1280x640 stream (2 Mbit/s, 30 fps), ${seconds} s each, ladder ${JSON.stringify(RUNGS)}`);
  const none = await run('no ladder', [], ctx);
  const one = await run('1 rung', RUNGS.slice(1), ctx);
  const two = await run('2 rungs', RUNGS, ctx);
  for (const r of [none, one, two]) {
    const latency = Number.isNaN(r.addedMedian) ? '' : `   part listed after the source's: median ${r.addedMedian.toFixed(3)} s, p90 ${r.addedP90.toFixed(3)} s (${r.parts} parts of the largest rung)`;
    console.log(`${r.label.padEnd(10)} origin cpu ${r.cpu.toFixed(1).padStart(6)} % of a core${latency}`);
  }
  console.log(`cpu per rendition (2 rungs - 1 rung): ${(two.cpu - one.cpu).toFixed(1)} % of a core; first rung incl. the shared decode (1 rung - none): ${(one.cpu - none.cpu).toFixed(1)} %; whole ladder: ${(two.cpu - none.cpu).toFixed(1)} %`);
}
