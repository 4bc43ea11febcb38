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
// Each step's viewers are split over --generators load generator processes (default: one per core), so the
// load generator can use whatever CPU the machine has left; their reports are added up (response times
// from the summed histograms, so the p99 is the p99 of all requests).
// Flags: --mode player|ll  --counts 250,500,1000,2000,4000,8000  --hold 60  --rampup 10
//        --targets edge,origin (ll: edge,nginx)  --fragment 2 (ll: 1; HLS_FRAGMENT)  --size 1280x720
//        --workers 1 (the edge's WORKERS)  --generators 2 (cores)  --keep DIR (keep every step's report there)
// Not a test: the figures depend on the machine (the load generator shares it with origin and edge).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port.mjs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFile } from 'node:fs/promises';

function flags(argv) {
  const out = { mode: 'player', counts: '250,500,1000,2000,4000,8000', hold: '60', rampup: '10', targets: '', fragment: '', size: '1280x720', workers: '1', generators: String(cpus().length), keep: '' };
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
    generators: Math.max(1, Math.floor(Number(out.generators)) || 1),
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

const TICKS = 100; // USER_HZ: /proc's CPU times are in 1/100 s on Linux

/** CPU seconds (user and kernel) used so far by a process and every process below it (cluster workers, nginx workers). */
function treeCpuSeconds(pid) {
  if (pid === undefined || !existsSync('/proc/stat')) return { user: 0, sys: 0 };
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(name), { ppid: Number(f[1]), user: Number(f[11]), sys: Number(f[12]) });
    } catch {}
  }
  const used = { user: 0, sys: 0 };
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    used.user += (stats.get(p)?.user ?? 0) / TICKS;
    used.sys += (stats.get(p)?.sys ?? 0) / TICKS;
    for (const [child, s] of stats) if (s.ppid === p) todo.push(child);
  }
  return used;
}

/** Busy and total CPU seconds of the whole machine so far. */
function machineCpuSeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: (total - f[3] - f[4]) / TICKS, total: total / TICKS };
}

/**
 * CPU used while a step runs, per part of the bench, as % of one core: the tiers' process trees
 * read at the start and the end, the load generators' (which exit before the end) as last polled.
 */
function watchCpu(tierPids) {
  const startedAt = Date.now();
  const tiers = Object.fromEntries(Object.entries(tierPids).map(([k, pid]) => [k, treeCpuSeconds(pid)]));
  const machine = machineCpuSeconds();
  const generators = new Map();
  const poll = setInterval(() => {
    for (const c of children) if (c.spawnargs.includes('--threads') && c.exitCode === null) generators.set(c.pid, treeCpuSeconds(c.pid));
  }, 1000);
  return () => {
    clearInterval(poll);
    const s = (Date.now() - startedAt) / 1000;
    const pct = (cpu) => `${((cpu / s) * 100).toFixed(0)} %`;
    // Kernel time apart: on loopback, sending a response also runs the receiver's TCP path.
    const both = ({ user, sys }) => `${pct(user + sys)} (kernel ${pct(sys)})`;
    const now = machineCpuSeconds();
    const parts = Object.entries(tierPids).map(([k, pid]) => {
      const end = treeCpuSeconds(pid);
      return `${k} ${both({ user: end.user - tiers[k].user, sys: end.sys - tiers[k].sys })}`;
    });
    const gen = [...generators.values()].reduce((a, b) => ({ user: a.user + b.user, sys: a.sys + b.sys }), { user: 0, sys: 0 });
    parts.push(`load generators ${both(gen)}`);
    return `cpu over the step (% of one core): ${parts.join(', ')}; machine busy ${(((now.busy - machine.busy) / (now.total - machine.total)) * 100).toFixed(0)} % of ${cpus().length} cores`;
  };
}

/** One load generator process with `count` viewers; resolves with its exit code. */
function runGenerator(target, url, count, outDir, name) {
  return new Promise((res) => {
    const args = [
      resolve('dist/loadtest.js'), '--host', url, '--mode', opts.mode, '--threads', String(count),
      '--rampup', String(opts.rampup), '--duration', String(opts.rampup + opts.hold), '--out', outDir,
      '--label', `${target} ${count}`, '--progress-interval', String(Math.max(5, Math.round((opts.rampup + opts.hold) / 6))),
    ];
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    child.stderr.on('data', (d) => process.stderr.write(`    ${name}${String(d).trimEnd().replace(/\n/g, `\n    ${name}`)}\n`));
    child.once('exit', (code) => res(code));
  });
}

/** The step's viewers over opts.generators processes at once; resolves with their report folders. */
async function runStep(target, url, count, outDir) {
  const n = Math.min(opts.generators, count);
  const dirs = Array.from({ length: n }, (_, i) => (n === 1 ? outDir : join(outDir, `generator-${i + 1}`)));
  await Promise.all(dirs.map((dir, i) => runGenerator(target, url, Math.floor(count / n) + (i < count % n ? 1 : 0), dir, n === 1 ? '' : `#${i + 1} `)));
  return dirs;
}

// LatencyHistogram's buckets (src/loadtest/latency-histogram.ts): bucket i ends at 0.01 ms × 1.01^i.
const bucketEdge = (i) => 0.01 * 1.01 ** i;

/** The p99 of summed report histograms ([bucket, count] pairs), capped by the largest maximum, as the report computes it. */
function mergedP99(summaries) {
  const counts = new Map();
  for (const s of summaries) for (const [i, c] of s.histogram) counts.set(i, (counts.get(i) ?? 0) + c);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...summaries.map((s) => s.max));
  if (total === 0) return 0;
  const rank = Math.ceil(0.99 * total);
  let seen = 0;
  for (const i of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(i);
    if (seen >= rank) return Math.round(Math.min(max, bucketEdge(i)) * 1000) / 1000;
  }
  return max;
}

/** The figures of one step from its generators' report.json files, added up. */
function stepFigures(dirs) {
  const rs = dirs.map((d) => JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')));
  const sum = (f) => rs.reduce((a, r) => a + (f(r) ?? 0), 0);
  const errorKinds = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.totals.all.errorKinds)) errorKinds[k] = (errorKinds[k] ?? 0) + v;
  return {
    stalls: sum((r) => r.player?.stalls),
    viewersStalled: sum((r) => r.player?.viewersStalled),
    errors: sum((r) => r.totals.all.errors),
    errorKinds,
    requests: sum((r) => r.totals.all.requests),
    p99: mergedP99(rs.map((r) => r.totals.all)),
    segP99: mergedP99(rs.map((r) => r.totals.segment)),
    bitsPerSecond: sum((r) => r.throughput.bitsPerSecond),
  };
}

const httpOrigin = await freePort();
const rtmpPort = await freePort();
const httpEdge = await freePort();
const originUrl = `http://127.0.0.1:${httpOrigin}`;
const edgeUrl = `http://127.0.0.1:${httpEdge}`;
const tierPid = {};
tierPid.origin = start('origin', [process.execPath, resolve('dist/origin.js')], {
  HOST: '127.0.0.1', HTTP_PORT: String(httpOrigin), RTMP_PORT: String(rtmpPort), MEDIA_DIR: join(work, 'origin'),
  HLS_FRAGMENT: opts.fragment, RECORD: 'off', PUBLIC_DIR: '', SPOT_MONITOR: 'off', LOG_LEVEL: 'warn',
}).pid;
tierPid.edge = start('edge', [process.execPath, resolve('dist/edge.js')], {
  HOST: '127.0.0.1', HTTP_PORT: String(httpEdge), ORIGINS: originUrl, PUBLIC_DIR: 'none', SPOT_MONITOR: 'off', DRAIN_DELAY: '0', LOG_LEVEL: 'warn', WORKERS: opts.workers,
}).pid;
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
    tierPid.nginx = start('nginx', ['nginx', '-p', prefix, '-c', 'edge.conf'], {}).pid;
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

const ll = opts.mode === 'll';
const load = (await readFile('/proc/loadavg', 'utf8').catch(() => '?')).split(' ').slice(0, 3).join(' ');
console.log(
  `loadtest capacity: ${cpus().length} cores (load average ${load} at the start), ${ll ? 'LL-HLS player' : 'player'} mode, one live stream ${opts.size} ` +
    `(${opts.fragment} s segments${ll ? ', 0.2 s parts' : ''}), edge WORKERS=${opts.workers}, ${opts.generators} load generator process(es), ramp-up ${opts.rampup} s + hold ${opts.hold} s per step`,
);
const summary = [];
for (const target of opts.targets) {
  const url = { edge: edgeUrl, origin: originUrl, nginx: nginxUrl }[target];
  let best;
  console.log(`\n${target} (${url})`);
  for (const count of opts.counts) {
    const outDir = join(work, 'reports', `${target}-${count}`);
    const watch = ll ? watchParts(`${originUrl}/hls/test_1280/index.m3u8`) : undefined;
    await watch?.ready;
    const before = await originRequests(originUrl);
    const load = (await readFile('/proc/loadavg', 'utf8').catch(() => '?')).split(' ').slice(0, 3).join(' ');
    const cpu = watchCpu({ [target]: tierPid[target], ...(target === 'origin' ? {} : { origin: tierPid.origin }) });
    const dirs = await runStep(target, url, count, outDir);
    const cpuLine = cpu();
    const after = await originRequests(originUrl);
    const made = await watch?.stop();
    let r;
    try {
      r = stepFigures(dirs);
    } catch {
      console.log(`  ${count} viewers: no report`);
      break;
    }
    const { stalls, errors } = r;
    const ok = stalls === 0 && errors === 0;
    const playlists = after.playlist - before.playlist - (made?.polls ?? 0);
    const media = after.segment - before.segment;
    const step = { count, ok, stalls, errors, originRequests: playlists + media, requests: r.requests, p99: r.p99, segP99: r.segP99, mbit: r.bitsPerSecond / 1e6 };
    if (made) Object.assign(step, { parts: made.parts, playlistsPerPart: playlists / made.parts, mediaPerPart: media / made.parts });
    console.log(
      `  ${String(count).padStart(6)} viewers: ${ok ? 'held' : 'FAILED'}  stalls ${stalls} (${r.viewersStalled} viewers)  errors ${errors} ${JSON.stringify(r.errorKinds)}  ` +
        `requests ${step.requests}  p99 ${step.p99} ms (${ll ? 'parts' : 'segments'} ${step.segP99} ms)  ${step.mbit.toFixed(0)} Mbit/s  origin requests ${step.originRequests}` +
        (made ? ` for ${made.parts} parts: ${step.playlistsPerPart.toFixed(2)} playlist + ${step.mediaPerPart.toFixed(2)} media requests per part` : '') +
        `  (load average ${load} before the step)`,
    );
    console.log(`          ${cpuLine}`);
    if (opts.keep) cpSync(outDir, join(resolve(opts.keep), `${target}-${count}`), { recursive: true });
    if (!ok) break;
    best = step;
  }
  summary.push({ target, best });
}

console.log(`\nlargest viewer count held (${ll ? 'LL-HLS player' : 'player'} mode, no stalls, no errors):`);
for (const { target, best } of summary) {
  const perPart = best?.parts ? `; per part and rendition: ${best.playlistsPerPart.toFixed(2)} playlist and ${best.mediaPerPart.toFixed(2)} media requests to the origin` : '';
  console.log(best ? `  ${target.padEnd(6)} ${best.count} viewers for ${opts.hold} s; origin requests in that step: ${best.originRequests}${perPart}` : `  ${target.padEnd(6)} none of the counts tried`);
}
if (opts.keep) console.log(`reports: ${resolve(opts.keep)}`);
cleanup();
process.exit(0);
