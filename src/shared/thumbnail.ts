import { rename, rm } from 'node:fs/promises';
import { runBoundedChild } from './bounded-child';
import { SpherecastError } from './errors';
import { thumbnailFilter, type ThumbnailSize } from './layout/thumbnail-filter';
import type { StreamLayout } from './layout/stream-layout';

export interface ThumbnailOptions {
  readonly ffmpegPath: string;
  /** ffmpeg input options ending in `-i <input>`: the caller decides which demuxer and protocols its input gets. */
  readonly input: readonly string[];
  readonly layout: StreamLayout;
  /** A JPEG is written here (through a temporary file beside it, so readers never see half of one). */
  readonly output: string;
  /** Names the work in errors and logs. */
  readonly label: string;
  /** ffmpeg is killed (its whole process group) past this. */
  readonly timeoutMs: number;
  readonly size?: ThumbnailSize;
  readonly signal?: AbortSignal;
}

/** ffmpeg says little with -loglevel error; this is plenty for a reason. */
const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * One JPEG of the first decodable frame of `input`, rectilinear for 360 layouts (see thumbnail-filter.ts). One ffmpeg,
 * bounded in time and output. Rejects with SC_ERR_THUMBNAIL, or SC_ERR_TIME_LIMIT past `timeoutMs`.
 */
export async function makeThumbnail(o: ThumbnailOptions): Promise<void> {
  const tmp = `${o.output}.tmp`;
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    ...o.input,
    '-map', '0:v:0', '-frames:v', '1', '-vf', thumbnailFilter(o.layout, o.size),
    '-c:v', 'mjpeg', '-q:v', '4', '-f', 'image2', '-update', '1', '-y', tmp,
  ];
  try {
    const r = await runBoundedChild(o.ffmpegPath, args, { label: o.label, timeoutMs: o.timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES, signal: o.signal });
    if (r.code !== 0) throw new SpherecastError('SC_ERR_THUMBNAIL', [o.label, r.stderr.trim().split('\n').pop() || `ffmpeg exited with ${r.code}`]);
    await rename(tmp, o.output);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
