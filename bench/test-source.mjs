// The benches' 1080p source: testsrc2 with grain (so x264 has detail and motion to work on) and a tone,
// encoded near-losslessly and fast.
import { execFileSync } from 'node:child_process';

export function makeTestSource(file, seconds, fps) {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=${fps},noise=alls=8,noise=alls=2:allf=t`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', file]);
  return file;
}
