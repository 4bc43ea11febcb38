#!/usr/bin/env node
// `npm run publish:test`: the reference architecture's test pattern, published to the local origin.
import { spawn } from 'node:child_process';

const url = process.argv[2] ?? process.env.RTMP_URL ?? `rtmp://127.0.0.1:${process.env.RTMP_PORT ?? 1935}/live/test`;
console.log(`publishing a test pattern to ${url} (Ctrl-C stops)`);
const ff = spawn('ffmpeg', [
  '-hide_banner', '-loglevel', 'warning', '-re',
  '-f', 'lavfi', '-i', 'aevalsrc=sin(400*2*PI*t)',
  '-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=30',
  '-vcodec', 'libx264', '-g', '30', '-b:v', '500k', '-c:a', 'aac', '-b:a', '160k', '-vf', 'format=yuv420p',
  '-f', 'flv', url,
], { stdio: 'inherit' });
ff.on('exit', (code) => process.exit(code ?? 0));
process.on('SIGINT', () => ff.kill('SIGINT'));
