import ffmpeg, { type FfprobeData, type FfprobeStream } from 'fluent-ffmpeg';
import { SpherecastError } from '../shared/errors';

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
          }
        : undefined,
    audio: a
      ? { codec: String(a.codec_name), channels: Number(a.channels ?? 0), sampleRate: Number(a.sample_rate ?? 0), bitrate: num(a.bit_rate) }
      : undefined,
  };
}

/** The last meaningful line of ffprobe's complaint, for an error a person can read. */
function reason(err: Error): string {
  const lines = err.message.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^ffprobe exited with code/.test(l));
  return lines[lines.length - 1] ?? err.message;
}

/** ffprobe through fluent-ffmpeg. Unreadable media is SC_ERR_MEDIA naming `label` and ffprobe's reason. */
export function probe(path: string, opts: { ffprobePath: string; label?: string }): Promise<MediaInfo> {
  return new Promise((resolve, reject) => {
    ffmpeg(path)
      .setFfprobePath(opts.ffprobePath)
      .ffprobe((err: Error | null, data: FfprobeData) => {
        // No `cause`: ffprobe's message carries its whole banner; the reason line is what matters.
        if (err) reject(new SpherecastError('SC_ERR_MEDIA', [`${opts.label ?? path}: ${reason(err)}`]));
        else resolve(mediaInfoFrom(data));
      });
  });
}
