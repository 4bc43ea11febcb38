// Shared pieces of the instant VOD tests (not a test file): the listing, a publish of a set
// length, and ffprobe reading an HLS playlist over HTTP.
import { execFileSync } from 'node:child_process';
import { publish, type Origin, type Publisher } from './origin-harness';

export interface Listed {
  name: string;
  master: string;
  kind: string;
  startedAt: string;
  endedAt: string;
  duration: number;
}

export async function listing(base: string): Promise<Listed[]> {
  const r = await fetch(`${base}/vod-live/index.json`);
  return ((await r.json()) as { assets: Listed[] }).assets;
}

function exited(p: Publisher): Promise<void> {
  return p.proc.exitCode !== null || p.proc.signalCode !== null ? Promise.resolve() : new Promise((r) => p.proc.once('exit', () => r()));
}

/** Publishes `seconds` of the test pattern and waits for ffmpeg to end it. */
export async function publishFor(t: { teardown(fn: () => unknown): void }, origin: Origin, name: string, seconds: number): Promise<void> {
  const p = publish(t, origin.rtmp(name), { seconds, size: '320x180' });
  await exited(p);
}

/** ffprobe reading the playlist over HTTP end to end: frames decoded and the duration. */
export function probeHls(url: string): { videoFrames: number; audioFrames: number; duration: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,nb_read_frames:format=duration', '-of', 'json', url], { encoding: 'utf8' });
  const j = JSON.parse(out) as { streams: Array<{ codec_type: string; nb_read_frames: string }>; format: { duration: string } };
  const frames = (type: string) => Number(j.streams.find((s) => s.codec_type === type)?.nb_read_frames ?? 0);
  return { videoFrames: frames('video'), audioFrames: frames('audio'), duration: Number(j.format.duration) };
}

