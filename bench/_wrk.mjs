#!/usr/bin/env node
// npm run bench:loadtest — how many live players one machine serves without stalls or errors, through the
// edge in front of the origin and straight against the origin (issue #8's benchmark figures).
// Starts the built origin and edge on free 127.0.0.1 ports with temp dirs, publishes one live stream like the
// workshop (testsrc 1280x720 30 fps, libx264 ~500k + AAC; encoded once, then looped with -c copy to spare the
// CPU), then, for each target, runs `node dist/loadtest.js --mode player` at rising viewer counts, each held
// for --hold seconds after its ramp-up, until a step shows stalls or errors. For each step it reads the
// origin's spherecast_origin_http_requests_total before and after.
// --mode ll: Low-Latency HLS players (`--mode ll` of the load test: a blocking reload per part, every part
// downloaded) through the edge and through nginx proxy_cache configured as the reference edge
// (../shared/reference/nginx-edge.conf, cache lock on) in front of the same origin; besides stalls it
// reports origin requests per part (playlists and media apart), counting the parts the origin made during
// the step from its own playlist, polled every 0.5 s (those polls are not counted).
// Flags: --mode player|ll  --counts 250,500,1000,2000,4000,8000  --hold 60  --rampup 10
//        --targets edge,origin (ll: edge,nginx)  --fragment 2 (ll: 1; HLS_FRAGMENT)  --size 1280x720
//        --workers 1 (the edge's WORKERS)  --keep DIR (keep every step's report there)
// Not a test: the figures depend on the machine (the load generator shares it with origin and edge).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port.mjs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFile } from 'node:fs/promises';

function flags(argv) {
  const out = { mode: 'player', counts: '250,500,1000,2000,4000,8000', hold: '60', rampup: '10', targets: '', fragment: '', size: '1280x720', workers: '1', keep: '' };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !(m[1] in out)) {
      console.error(`unknown argument ${argv[i]}; flags: ${Object.keys(out).map((k) => `--${k}`).join(' ')}`);
      process.exit(2);
    }
    out[m[1]] = m[2] ?? argv[++i];
  }
  const ll = out.mode === 'll';
  return {
    mode: ll ? 'll' : 'player',
    counts: out.counts.split(',').map(Number).filter((n) => n > 0),
    hold: Number(out.hold),
    rampup: Number(out.rampup),
    targets: (out.targets || (ll ? 'edge,nginx' : 'edge,origin')).split(',').filter((x) => x === 'edge' || x === 'origin' || x === 'nginx'),
    fragment: out.fragment || (ll ? '1' : '2'),
    size: out.size,
    workers: out.workers,
    keep: out.keep,
  };
}

const opts = flags(process.argv.slice(2));
for (const f of ['dist/origin.js', 'dist/edge.js', 'dist/loadtest.js']) {
  if (!existsSync(f)) {
    console.error(`${f} is missing: run npm run build (npm run bench:loadtest does)`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'sc-bench-loadtest-'));
const children = [];
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // The origin may still be writing for a moment after SIGKILL.
  rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.on('exit', cleanup);

function start(name, args, env) {
  const child = spawn(args[0], args.slice(1), { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  child.once('exit', (code, signal) => {
    if (!cleaned) console.error(`${name} exited (${code ?? signal}) ${err}`);
  });
  children.push(child);
  return child;
}

async function waitFor(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch {}
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The origin's requests for playlists and for media (segments, parts, init), from its /metrics. */
async function originRequests(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const n = { playlist: 0, segment: 0 };
  for (const m of text.matchAll(/^spherecast_origin_http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const kind = /kind="([^"]+)"/.exec(m[1])?.[1];
    if (kind in n) n[kind] += Number(m[2]);
  }
  return n;
}

/** Parts the origin lists while a step runs, from its own playlist polled every 0.5 s; stop() gives the count and the polls made. */
function watchParts(url) {
  const parts = new Set();
  let polls = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        polls++;
        const text = await (await fetch(url)).text();
        for (const m of text.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)) parts.add(m[1]);
      } catch {}
      await sleep(500);
    }
  })();
  const first = new Promise((r) => setTimeout(r, 600));
  return {
    ready: first,
    async stop() {
      running = false;
      await loop;
      return { parts: parts.size, polls };
    },
  };
}

function runStep(target, url, count, outDir) {
  return new Promise((res) => {
    const args = [
      resolve('dist/loadtest.js'), '--host', url, '--mode', opts.mode, '--threads', String(count),
      '--rampup', String(opts.rampup), '--duration', String(opts.rampup + opts.hold), '--out', outDir,
      '--label', `${target} ${count}`, '--progress-interval', String(Math.max(5, Math.round((opts.rampup + opts.hold) / 6))),
    ];
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    child.stderr.on('data', (d) => process.stderr.write(`    ${String(d).trimEnd().replace(/\n/g, '\n    ')}\n`));
    child.once('exit', (code) => res(code));
  });
}

const httpOrigin = await freePort();
const rtmpPort = await freePort();
const httpEdge = await freePort();
const originUrl = `http://127.0.0.1:${httpOrigin}`;
const edgeUrl = `http://127.0.0.1:${httpEdge}`;
start('origin', [process.execPath, resolve('dist/origin.js')], {
  HOST: '127.0.0.1', HTTP_PORT: String(httpOrigin), RTMP_PORT: String(rtmpPort), MEDIA_DIR: join(work, 'origin'),
  HLS_FRAGMENT: opts.fragment, RECORD: 'off', PUBLIC_DIR: '', SPOT_MONITOR: 'off', LOG_LEVEL: 'warn',
});
start('edge', [process.execPath, resolve('dist/edge.js')], {
  HOST: '127.0.0.1', HTTP_PORT: String(httpEdge), ORIGINS: originUrl, PUBLIC_DIR: 'none', SPOT_MONITOR: 'off', DRAIN_DELAY: '0', LOG_LEVEL: 'warn', WORKERS: opts.workers,
});
await waitFor('origin /healthz', async () => (await fetch(`${originUrl}/healthz`)).ok);
await waitFor('edge /healthz', async () => (await fetch(`${edgeUrl}/healthz`)).ok);

// nginx proxy_cache as the reference edge, in front of the same origin (reference config, cache lock on).
let nginxUrl;
if (opts.targets.includes('nginx')) {
  if (spawnSync('nginx', ['-v']).status !== 0) {
    console.error('nginx is not installed: no reference edge');
    opts.targets = opts.targets.filter((x) => x !== 'nginx');
  } else {
    const nginxPort = await freePort();
    const prefix = join(work, 'nginx-edge');
    for (const d of ['', 'logs', 'cache', 'cache/tmp']) mkdirSync(join(prefix, d), { recursive: true });
    // nginx workers run as an unprivileged user when started as root.
    chmodSync(work, 0o777);
    for (const d of ['', 'logs', 'cache', 'cache/tmp']) chmodSync(join(prefix, d), 0o777);
    const conf = readFileSync(resolve('../shared/reference/nginx-edge.conf'), 'utf8')
      .replace('proxy_cache_lock LOCK;', 'proxy_cache_lock on;')
      .replace('server 127.0.0.1:18080;', `server 127.0.0.1:${httpOrigin};`)
      .replace('listen 127.0.0.1:18081;', `listen 127.0.0.1:${nginxPort};`);
    writeFileSync(join(prefix, 'edge.conf'), conf);
    start('nginx', ['nginx', '-p', prefix, '-c', 'edge.conf'], {});
    nginxUrl = `http://127.0.0.1:${nginxPort}`;
    await waitFor('nginx edge', async () => (await fetch(`${nginxUrl}/hls/none.m3u8`)).status < 500);
  }
}

// The workshop's test pattern, encoded once (20 s, GOP = fragment) and looped without re-encoding.
const clip = join(work, 'clip.flv');
const gop = String(Math.round(30 * Number(opts.fragment)));
const enc = spawnSync('ffmpeg', [
  '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'aevalsrc=sin(400*2*PI*t)', '-f', 'lavfi', '-i', `testsrc=size=${opts.size}:rate=30`,
  '-t', '20', '-vcodec', 'libx264', '-preset', 'veryfast', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-b:v', '500k', '-maxrate', '500k', '-bufsize', '1000k',
  '-c:a', 'aac', '-b:a', '160k', '-vf', 'format=yuv420p', '-f', 'flv', clip,
]);
if (enc.status !== 0) throw new Error(`encoding the clip failed: ${enc.stderr}`);
start('ffmpeg', ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/test`], {});
await waitFor('the live stream (3 segments)', async () => {
  const r = await fetch(`${originUrl}/hls/test_1280/index.m3u8`);
  return r.ok && ((await r.text()).match(/#EXTINF/g) ?? []).length >= 3;
});

const pl = await (await fetch(`${originUrl}/hls/test_1280/index.m3u8`)).text();
const parts = [...pl.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((m) => m[1]);
const part = parts[parts.length - 3];
console.log('part', part, 'load', readFileSync('/proc/loadavg', 'utf8').trim());
for (const [name, url] of [['edge', edgeUrl], ['nginx', nginxUrl]]) {
  for (const path of [`/hls/test_1280/${part}`, `/hls/test_1280/index.m3u8?_HLS_msn=1&_HLS_part=0&_HLS_skip=YES`]) {
    await fetch(url + path).then((r) => r.arrayBuffer());
    const r = spawnSync('wrk', ['-t1', '-c200', '-d8s', url + path], { encoding: 'utf8' });
    console.log(name, path, (/Requests\/sec:\s+([\d.]+)/.exec(r.stdout) ?? [])[1], (/Transfer\/sec:\s+(\S+)/.exec(r.stdout) ?? [])[1], readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0,3).join(' '));
  }
}
cleanup();
process.exit(0);
