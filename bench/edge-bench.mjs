#!/usr/bin/env node
// npm run bench:edge — the edge (node dist/edge.js) side by side with nginx proxy_cache configured
// like the reference edge (../shared/reference/nginx-edge.conf), against the same static upstream:
//   1. coalescing: upstream requests made for N concurrent misses of one cold segment
//      (nginx with proxy_cache_lock off, as the reference ships, and on; the edge);
//   2. cached hits: req/s, latency percentiles and server CPU time per request for a 128 KiB
//      segment and a playlist, 100 connections, with wrk when installed (else a small undici
//      load generator); nginx and the edge run side by side and take turns for BENCH_ROUNDS
//      rounds, and the median round is reported, so a busy machine hurts both alike.
// Not a test: figures depend on the machine. Run after `npm run build`.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, request } from 'undici';

const UPSTREAM_PORT = 18080;
const NGINX_PORT = 18081;
const EDGE_PORT = 18082; // and up, one port per edge variant
const CONCURRENT_MISSES = Number(process.env.BENCH_MISSES ?? 500);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WRK_THREADS = Number(process.env.BENCH_WRK_THREADS ?? 1);
// Edge variants to run side by side: WORKERS values (1 = one process; more = node:cluster).
const EDGE_WORKERS = (process.env.BENCH_EDGE_WORKERS ?? '1,2').split(',').map(Number).filter((n) => n >= 1);
const MISS_DELAY_MS = 100;

const SEGMENT = Buffer.alloc(128 * 1024, 0x47);
const PLAYLIST = Buffer.from(
  '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n' +
    Array.from({ length: 5 }, (_, i) => `#EXTINF:2.000,\nlive-${100 + i}.ts\n`).join(''),
);

const children = [];
const cleanups = [];
async function cleanup() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of cleanups.reverse()) await f();
}
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));

// --- the static upstream: counts requests per path; cold objects answer after MISS_DELAY_MS ---
const counts = new Map();
const upstream = createServer((req, res) => {
  counts.set(req.url, (counts.get(req.url) ?? 0) + 1);
  const send = (body, type) => {
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'last-modified': 'Tue, 01 Jan 2030 00:00:00 GMT' });
    res.end(body);
  };
  if (req.url.startsWith('/hls/cold-')) setTimeout(() => send(SEGMENT, 'video/mp2t'), MISS_DELAY_MS);
  else if (req.url.endsWith('.ts')) send(SEGMENT, 'video/mp2t');
  else if (req.url.endsWith('.m3u8')) send(PLAYLIST, 'application/vnd.apple.mpegurl');
  else {
    res.writeHead(404);
    res.end();
  }
});
upstream.keepAliveTimeout = 65_000;

async function waitFor(url, what) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await request(url);
      await r.body.dump();
      if (r.statusCode < 500) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${what} did not come up at ${url}`);
}

// --- nginx with the reference configuration ---
const nginxAvailable = spawnSync('nginx', ['-v']).status === 0;
async function startNginx(lock) {
  const prefix = mkdtempSync(join(tmpdir(), 'sc-nginx-edge-'));
  cleanups.push(async () => rmSync(prefix, { recursive: true, force: true }));
  for (const d of ['logs', 'cache', 'cache/tmp']) mkdirSync(join(prefix, d), { recursive: true });
  // nginx workers run as an unprivileged user when started as root.
  for (const d of ['', 'logs', 'cache', 'cache/tmp']) chmodSync(join(prefix, d), 0o777);
  const conf = readFileSync(resolve('../shared/reference/nginx-edge.conf'), 'utf8').replace('proxy_cache_lock LOCK;', `proxy_cache_lock ${lock};`);
  writeFileSync(join(prefix, 'edge.conf'), conf);
  const child = spawn('nginx', ['-p', prefix, '-c', 'edge.conf'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  await waitFor(`http://127.0.0.1:${NGINX_PORT}/hls/warmup.m3u8`, 'nginx');
  const stop = async () => {
    child.kill('SIGQUIT');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  };
  return { stop, pid: child.pid };
}

async function startEdge(port, workers) {
  const child = spawn(process.execPath, ['dist/edge.js'], {
    env: { ...process.env, HOST: '127.0.0.1', HTTP_PORT: String(port), WORKERS: String(workers), ORIGINS: `http://127.0.0.1:${UPSTREAM_PORT}`, LOG_LEVEL: 'warn', DRAIN_DELAY: '0', PUBLIC_DIR: 'none', SPOT_MONITOR: 'off' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  await waitFor(`http://127.0.0.1:${port}/healthz`, 'edge');
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  };
  return { stop, pid: child.pid };
}

// --- CPU time of a server's processes (nginx: master and workers), from /proc ---
const TICK_MS = 10; // USER_HZ is 100 on Linux
function processTree(pid) {
  const pids = [pid];
  for (const p of pids) {
    try {
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      if (kids) pids.push(...kids.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return pids;
}
function cpuMs(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks * TICK_MS;
}

// --- 1. coalescing ---
let coldSeq = 0;
async function coalescing(port) {
  const path = `/hls/cold-${++coldSeq}.ts`;
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENT_MISSES });
  const t0 = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: CONCURRENT_MISSES }, async () => {
      const r = await pool.request({ path, method: 'GET' });
      const body = Buffer.from(await r.body.arrayBuffer());
      return r.statusCode === 200 && body.length === SEGMENT.length;
    }),
  );
  const ms = performance.now() - t0;
  await pool.close();
  return { upstream: counts.get(path) ?? 0, ok: statuses.filter(Boolean).length, ms };
}

// --- 2. cached hits ---
const haveWrk = spawnSync('wrk', ['--version']).error === undefined;
function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const unit = (v, u) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[u] ?? NaN);
  const pct = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? unit(m[1], m[2]) : NaN;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  return { rps, p50: pct(50), p99: pct(99), errors: Number(errors) };
}
async function loadWrk(url) {
  const child = spawn('wrk', [`-t${WRK_THREADS}`, `-c${CONNECTIONS}`, `-d${DURATION_S}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.once('exit', r));
  return parseWrk(out);
}
async function loadUndici(url) {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: CONNECTIONS, pipelining: 1 });
  const latencies = [];
  let errors = 0;
  const end = performance.now() + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const r = await pool.request({ path: u.pathname, method: 'GET' });
        await r.body.dump();
        if (r.statusCode !== 200) errors++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { rps: latencies.length / DURATION_S, p50: at(50), p99: at(99), errors };
}
const load = haveWrk ? loadWrk : loadUndici;

async function warm(port) {
  for (const p of ['/hls/bench-seg.ts', '/hls/bench.m3u8']) {
    const r = await request(`http://127.0.0.1:${port}${p}`);
    await r.body.dump();
  }
}

/** One measured run: load figures plus the server's CPU milliseconds per 1000 requests. */
async function measure(port, pid, path) {
  const before = cpuMs(pid);
  const r = await load(`http://127.0.0.1:${port}${path}`);
  const cpu = cpuMs(pid) - before;
  return { ...r, cpuUsPerReq: (cpu * 1000) / (r.rps * DURATION_S) };
}

const median = (runs, key) => {
  const v = runs.map((r) => r[key]).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
};
const summarize = (runs) => ({ rps: median(runs, 'rps'), p50: median(runs, 'p50'), p99: median(runs, 'p99'), cpuUsPerReq: median(runs, 'cpuUsPerReq'), errors: runs.reduce((a, r) => a + r.errors, 0) });

/**
 * Cached hits: the servers take turns (nginx, edge, nginx, edge...) on each object, so that
 * whatever else the machine does falls on both; the median of the rounds is kept.
 */
async function throughput(servers) {
  for (const s of servers) await warm(s.port);
  const out = {};
  for (const s of servers) out[s.name] = { segment: [], playlist: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [object, path] of [['segment', '/hls/bench-seg.ts'], ['playlist', '/hls/bench.m3u8']]) {
      // The playlist TTL (3 s) runs out between rounds: fetch it again so every run measures hits.
      for (const s of servers) await warm(s.port);
      for (const s of servers) out[s.name][object].push(await measure(s.port, s.pid, path));
    }
  }
  for (const s of servers) out[s.name] = { segment: summarize(out[s.name].segment), playlist: summarize(out[s.name].playlist) };
  return out;
}

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const row = (cells, widths) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');

async function main() {
  if (!existsSync('dist/edge.js')) throw new Error('dist/edge.js is missing: run `npm run build`');
  await new Promise((r, j) => upstream.once('error', j).listen(UPSTREAM_PORT, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => { upstream.closeAllConnections(); upstream.close(r); }));
  console.log(`edge bench: upstream 127.0.0.1:${UPSTREAM_PORT}, nginx ${nginxAvailable ? `127.0.0.1:${NGINX_PORT}` : 'not installed'}, edge 127.0.0.1:${EDGE_PORT}`);
  console.log(`load: ${haveWrk ? `wrk -t${WRK_THREADS}` : 'undici (wrk not installed)'} -c${CONNECTIONS} ${DURATION_S}s per run; ${CONCURRENT_MISSES} concurrent misses, upstream answers cold objects after ${MISS_DELAY_MS} ms\n`);

  const results = {};
  let nginx = null;
  if (nginxAvailable) {
    nginx = await startNginx('off');
    results['nginx lock off'] = { coalescing: await coalescing(NGINX_PORT) };
    await nginx.stop();
    nginx = await startNginx('on');
    results['nginx lock on'] = { coalescing: await coalescing(NGINX_PORT) };
  }
  const edges = [];
  for (const [i, workers] of EDGE_WORKERS.entries()) {
    const name = `edge ${workers}w`;
    const port = EDGE_PORT + i;
    const e = await startEdge(port, workers);
    edges.push({ name, port, pid: e.pid, stop: e.stop });
    results[name] = { coalescing: await coalescing(port) };
  }
  const servers = [...(nginx ? [{ name: 'nginx lock on', port: NGINX_PORT, pid: nginx.pid }] : []), ...edges];
  const hits = await throughput(servers);
  for (const [name, r] of Object.entries(hits)) Object.assign(results[name], r);
  for (const e of edges) await e.stop();
  if (nginx) await nginx.stop();

  console.log(`1. ${CONCURRENT_MISSES} concurrent requests for one cold 128 KiB segment`);
  const w1 = [16, 18, 12, 10];
  console.log(row(['server', 'upstream requests', 'complete 200s', 'wall ms'], w1));
  for (const [name, r] of Object.entries(results)) console.log(row([name, r.coalescing.upstream, r.coalescing.ok, fmt(r.coalescing.ms)], w1));

  console.log(`\n2. cached hits, ${CONNECTIONS} connections, median of ${ROUNDS} alternating rounds`);
  const w2 = [16, 10, 10, 10, 10, 14, 8];
  console.log(row(['server', 'object', 'req/s', 'p50 ms', 'p99 ms', 'cpu us/req', 'non-2xx'], w2));
  for (const [name, r] of Object.entries(results)) {
    if (!r.segment) continue;
    for (const object of ['segment', 'playlist']) {
      const o = r[object];
      console.log(row([name, object, fmt(o.rps), fmt(o.p50, 2), fmt(o.p99, 2), fmt(o.cpuUsPerReq, 1), o.errors], w2));
    }
  }
  const ng = results['nginx lock on'];
  if (ng) {
    console.log('\nratios edge / nginx (lock on): req/s higher is better, p99 and cpu/req lower are better');
    for (const e of edges) {
      const r = results[e.name];
      for (const object of ['segment', 'playlist']) {
        console.log(`  ${e.name.padEnd(9)} ${`${object}:`.padEnd(10)} req/s ${fmt(r[object].rps / ng[object].rps, 2)}x   p99 ${fmt(r[object].p99 / ng[object].p99, 2)}x   cpu/req ${fmt(r[object].cpuUsPerReq / ng[object].cpuUsPerReq, 2)}x`);
      }
    }
    console.log(`  upstream requests for ${CONCURRENT_MISSES} misses: ${edges.map((e) => `${e.name} ${results[e.name].coalescing.upstream}`).join(', ')}, nginx lock on ${ng.coalescing.upstream}, lock off ${results['nginx lock off'].coalescing.upstream}`);
  }
}

main()
  .catch((err) => {
    console.error(`edge bench failed: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
