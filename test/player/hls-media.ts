// Real HLS made by ffmpeg for player tests: a tiny 640x320 test pattern with audio, 1 s GOP, 2 s segments.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const VIDEO = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0'];
const AUDIO = ['-c:a', 'aac', '-b:a', '64k', '-ac', '2'];

/** Runs ffmpeg quietly; rejects with its error output. */
export function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`ffmpeg exited ${code}: ${stderr}`))));
  });
}

/**
 * A VOD with two renditions (640x320 and 320x160) and a master playlist, so the quality menu has levels.
 * Returns the master playlist's file name inside `dir`.
 */
export async function makeVod(dir: string, seconds = 10): Promise<string> {
  await runFfmpeg([
    '-f', 'lavfi', '-i', `testsrc=size=640x320:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-filter_complex', '[0:v]split=2[hi][lo0];[lo0]scale=320:160[lo]',
    '-map', '[hi]', '-map', '1:a', '-map', '[lo]', '-map', '1:a',
    ...VIDEO, '-b:v:0', '700k', '-b:v:1', '250k',
    ...AUDIO,
    '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod',
    '-hls_segment_filename', join(dir, 'vod_%v_%03d.ts'),
    '-master_pl_name', 'vod.m3u8',
    '-var_stream_map', 'v:0,a:0 v:1,a:1',
    join(dir, 'vod_%v.m3u8'),
  ]);
  return 'vod.m3u8';
}

export interface LiveEncoder {
  process: ChildProcess;
  /** Stops ffmpeg (SIGTERM, then SIGKILL) and resolves when it has exited. */
  stop(): Promise<void>;
}

/** A live sliding-window HLS stream written in real time (-re) to `<dir>/<name>.m3u8`, until stopped. */
export function startLiveEncoder(dir: string, name: string): LiveEncoder {
  const child = spawn(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-re', '-f', 'lavfi', '-i', 'testsrc=size=640x320:rate=25',
      '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      ...VIDEO, '-tune', 'zerolatency', '-b:v', '600k',
      ...AUDIO,
      '-f', 'hls', '-hls_time', '2', '-hls_list_size', '5',
      // temp_file: the playlist is renamed into place, so the server never serves a half-written one.
      '-hls_flags', 'delete_segments+temp_file',
      '-hls_segment_filename', join(dir, `${name}_%05d.ts`),
      join(dir, `${name}.m3u8`),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) resolvePromise();
    else child.once('exit', () => resolvePromise());
  });
  return {
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
