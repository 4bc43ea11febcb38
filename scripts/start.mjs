#!/usr/bin/env node
// `npm start`: the whole system on one machine with the embedded defaults (local folders for the
// buckets, a local durable queue): origin, edge in front of it serving the player, transcoder.
// Ctrl-C stops everything cleanly. Settings pass through the environment (see --help of each program).
import { spawn, execFileSync } from 'node:child_process';

const env = process.env;
const host = env.HOST ?? '127.0.0.1';
const rtmpPort = env.RTMP_PORT ?? '1935';
const originPort = env.ORIGIN_HTTP_PORT ?? '8080';
const edgePort = env.EDGE_HTTP_PORT ?? '8081';
const mediaDir = env.MEDIA_DIR ?? './var';

try {
  execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
} catch {
  console.error('spherecast needs ffmpeg >= 5: sh scripts/install.sh installs it');
  process.exit(1);
}
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });

const programs = [
  ['origin', { HOST: host, RTMP_PORT: rtmpPort, HTTP_PORT: originPort, MEDIA_DIR: mediaDir }],
  // No load balancer to drain from on one machine: Ctrl-C stops the edge at once.
  ['edge', { HOST: host, HTTP_PORT: edgePort, ORIGINS: `http://127.0.0.1:${originPort}`, DRAIN_DELAY: env.DRAIN_DELAY ?? '0' }],
  ['transcoder', { MEDIA_DIR: mediaDir, METRICS_HOST: '127.0.0.1' }],
];

let stopping = false;
const children = programs.map(([name, extra]) => {
  const child = spawn(process.execPath, [`dist/${name}.js`], { env: { ...env, ...extra }, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the others`);
      stop(1);
    }
  });
  return child;
});

const shown = host === '0.0.0.0' ? 'localhost' : host;
setTimeout(() => {
  if (stopping) return;
  console.log(`
spherecast is running
  publish:  rtmp://${shown}:${rtmpPort}/live/test      (npm run publish:test sends a test pattern)
  watch:    http://${shown}:${edgePort}/player.html?url=/hls/test.m3u8&live=1
  streams:  http://${shown}:${edgePort}/            (index of live streams and VOD)
  origin:   http://${shown}:${originPort}/stat
Ctrl-C stops everything.
`);
}, 1500).unref();

function stop(code) {
  if (stopping) return;
  stopping = true;
  let left = children.filter((c) => c.exitCode === null && c.signalCode === null);
  if (!left.length) process.exit(code);
  for (const c of left) {
    c.once('exit', () => {
      left = left.filter((x) => x !== c);
      if (!left.length) process.exit(code);
    });
    c.kill('SIGTERM');
  }
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
