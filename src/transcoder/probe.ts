import type { FfprobeData, FfprobeStream } from 'fluent-ffmpeg';
import { SpherecastError } from '../shared/errors';
import type { StreamLayout } from '../shared/layout/stream-layout';
import { runBoundedChild } from '../shared/bounded-child';
import { fileUrl, safeInputArgs } from './safe-input';
import { layoutFromSideData, type SideData } from './source-layout';
import type { SourceContainer } from './source-container';

/** What the transcoder needs to know about a file: its size, frame rate, duration and streams. */
export interface MediaInfo {
  /** Seconds; undefined when the container does not say. */
  readonly duration?: number;
  readonly formatName: string;
  readonly video?: {
    readonly codec: string;
    readonly width: number;
    readonly height: number;
    readonly fps: number;
    /** bits per second, when the container or stream says. */
    readonly bitrate?: number;
    /** e.g. "High", "Constrained Baseline". */
    readonly profile?: string;
    /** e.g. 31 for 3.1. */
    readonly level?: number;
    /** From the stream's spherical and stereo metadata, else the auto rule. */
    readonly layout: StreamLayout;
  };
  readonly audio?: {
    readonly codec: string;
    readonly channels: number;
    readonly sampleRate: number;
    readonly bitrate?: number;
  };
}

/** "30000/1001" -> 29.97; "0/0" or junk -> undefined. Pure. */
export function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [n, d] = rate.split('/').map(Number);
  const v = d === undefined ? n : n / d;
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Reads ffprobe's answer into MediaInfo. Pure. */
export function mediaInfoFrom(data: FfprobeData): MediaInfo {
  const v = data.streams.find((s: FfprobeStream) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const a = data.streams.find((s: FfprobeStream) => s.codec_type === 'audio');
  const fps = v ? parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate) : undefined;
  return {
    duration: num(data.format.duration),
    formatName: String(data.format.format_name ?? ''),
    video:
      v && v.width && v.height && fps
        ? {
            codec: String(v.codec_name),
            width: v.width,
            height: v.height,
            fps,
            bitrate: num(v.bit_rate),
            profile: typeof v.profile === 'string' ? v.profile : undefined,
            level: num(v.level),
            layout: layoutFromSideData(Array.isArray(v.side_data_list) ? (v.side_data_list as SideData[]) : undefined, { width: v.width, height: v.height }),
          }
        : undefined,
    audio: a
      ? { codec: String(a.codec_name), channels: Number(a.channels ?? 0), sampleRate: Number(a.sample_rate ?? 0), bitrate: num(a.bit_rate) }
      : undefined,
  };
}

/** The last meaningful line of ffprobe's complaint, for an error a person can read. Pure. */
export function reasonOf(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? 'ffprobe failed';
}

/** ffprobe's answer is a few KB; more means something is wrong. */
const MAX_PROBE_OUTPUT = 4 * 1024 * 1024;

export interface ProbeOptions {
  readonly ffprobePath: string;
  readonly container: SourceContainer;
  readonly maxPixels: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly label?: string;
}

/**
 * ffprobe of a local file with its container forced, in its own process group, killed on timeout
 * or abort. Unreadable media is SC_ERR_MEDIA naming `label` and ffprobe's reason; a probe over
 * its time is SC_ERR_TIME_LIMIT.
 */
export async function probe(path: string, opts: ProbeOptions): Promise<MediaInfo> {
  const label = opts.label ?? path;
  const args = ['-v', 'error', ...safeInputArgs(opts.container, opts.maxPixels), '-show_streams', '-show_format', '-of', 'json', fileUrl(path)];
  const r = await runBoundedChild(opts.ffprobePath, args, { label: `probe of ${label}`, timeoutMs: opts.timeoutMs, signal: opts.signal, maxOutputBytes: MAX_PROBE_OUTPUT });
  // The decoder refuses a frame over -max_pixels before allocating it; ffprobe may still exit 0
  // (reporting the stream as 0x0), so its complaint is what tells.
  const huge = /Picture size (\d+)x(\d+) exceeds specified max pixel count (\d+)/.exec(r.stderr);
  if (huge) {
    throw new SpherecastError('SC_ERR_MEDIA_REFUSED', [label, `frame size ${huge[1]}x${huge[2]} is over ${huge[3]} pixels (MAX_SOURCE_WIDTH x MAX_SOURCE_HEIGHT)`]);
  }
  if (r.code !== 0) throw new SpherecastError('SC_ERR_MEDIA', [`${label}: ${reasonOf(r.stderr)}`]);
  let data: FfprobeData;
  try {
    data = JSON.parse(r.stdout) as FfprobeData;
  } catch (err) {
    throw new SpherecastError('SC_ERR_MEDIA', [`${label}: ffprobe output is not JSON (${(err as Error).message})`]);
  }
  if (!Array.isArray(data.streams) || typeof data.format !== 'object' || data.format === null) {
    throw new SpherecastError('SC_ERR_MEDIA', [`${label}: ffprobe found no streams`]);
  }
  return mediaInfoFrom(data);
}
