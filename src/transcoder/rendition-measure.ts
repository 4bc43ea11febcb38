import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SpherecastError } from '../shared/errors';
import { parseMediaPlaylist } from '../shared/hls-playlist';
import { hevcCodecString } from '../shared/mp4/hevc-codec-string';
import { avcCodecString, hexDumpToBuffer } from './avc-codec';
import { runBoundedChild } from '../shared/bounded-child';
import { parseRate } from './probe';
import { fileUrl } from './safe-input';

/**
 * What one produced rendition really is, measured after ffmpeg is done: bit rates from the segment
 * files' sizes and EXTINF durations, and size, frame rate, codec profile and level from ffprobe
 * reading the first segment. The master playlist is written from this, never from the targets.
 */
export interface MeasuredRendition {
  readonly name: string;
  readonly kind: 'video' | 'audio';
  /** Peak segment bit rate, bits per second. */
  readonly peakBandwidth: number;
  readonly averageBandwidth: number;
  readonly duration: number;
  readonly segments: number;
  readonly codec: string;
  readonly width?: number;
  readonly height?: number;
  readonly frameRate?: number;
  readonly channels?: number;
}

/**
 * Average and peak bit rate of a media playlist's segments. The peak is the largest segment's
 * rate; a final segment shorter than half the target duration is counted together with the one
 * before it, because a sliver of audio after the last video frame would otherwise report a
 * meaningless peak (a few hundred bytes of container overhead over a few milliseconds). Pure.
 */
export function bandwidthOf(segments: ReadonlyArray<{ duration: number; bytes: number }>, targetDuration: number): { peak: number; average: number } {
  const usable = segments.filter((s) => s.duration > 0);
  if (usable.length === 0) throw new Error('no segments with a duration');
  const merged = usable.map((s) => ({ ...s }));
  const last = merged[merged.length - 1];
  if (merged.length > 1 && last.duration < targetDuration / 2) {
    merged.pop();
    merged[merged.length - 1].duration += last.duration;
    merged[merged.length - 1].bytes += last.bytes;
  }
  const bits = usable.reduce((n, s) => n + s.bytes * 8, 0);
  const seconds = usable.reduce((n, s) => n + s.duration, 0);
  const peak = Math.max(...merged.map((s) => (s.bytes * 8) / s.duration));
  return { peak: Math.ceil(peak), average: Math.round(bits / seconds) };
}

interface ProbedStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  channels?: number;
  extradata?: string;
  profile?: string;
}

/** Our own segment's ffprobe answer with `-show_data` (extradata) is well under this. */
const MAX_MEASURE_OUTPUT = 16 * 1024 * 1024;
const MEASURE_TIMEOUT_MS = 60_000;

async function ffprobeJson(ffprobePath: string, file: string, signal?: AbortSignal): Promise<{ streams?: ProbedStream[] }> {
  const r = await runBoundedChild(ffprobePath, ['-v', 'error', '-show_streams', '-show_data', '-of', 'json', fileUrl(file)], {
    label: `measure of ${file}`,
    timeoutMs: MEASURE_TIMEOUT_MS,
    maxOutputBytes: MAX_MEASURE_OUTPUT,
    signal,
  });
  if (r.code !== 0) throw new SpherecastError('SC_ERR_TRANSCODE', [file, `ffprobe: ${r.stderr.trim() || `exit code ${r.code}`}`]);
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    throw new SpherecastError('SC_ERR_TRANSCODE', [file, `ffprobe output is not JSON (${(e as Error).message})`]);
  }
}

/** CODECS of a produced video stream, from its own configuration record (avcC or hvcC). */
function videoCodecString(name: string, video: ProbedStream): string {
  const extradata = hexDumpToBuffer(video.extradata ?? '');
  if (video.codec_name === 'h264') {
    const codec = avcCodecString(extradata);
    if (!codec) throw new SpherecastError('SC_ERR_TRANSCODE', [name, 'no H.264 SPS found in the produced stream']);
    return codec;
  }
  if (video.codec_name === 'hevc') {
    // In MP4, HEVC extradata is the HEVCDecoderConfigurationRecord; an Annex B stream (TS) has no record.
    if (extradata[0] !== 1) throw new SpherecastError('SC_ERR_TRANSCODE', [name, 'HEVC without an hvcC record (HEVC needs fMP4 segments)']);
    try {
      return hevcCodecString(extradata);
    } catch (err) {
      throw new SpherecastError('SC_ERR_TRANSCODE', [name, (err as Error).message]);
    }
  }
  throw new SpherecastError('SC_ERR_TRANSCODE', [name, `produced ${video.codec_name}, not h264 or hevc`]);
}

/** `signal` stops the ffprobe (the job being stopped). */
export async function measureRendition(opts: { playlistPath: string; name: string; ffprobePath: string; signal?: AbortSignal }): Promise<MeasuredRendition> {
  const playlist = parseMediaPlaylist(await readFile(opts.playlistPath, 'utf8'));
  if (playlist.segments.length === 0) throw new SpherecastError('SC_ERR_TRANSCODE', [opts.name, 'the rendition has no segments']);
  const dir = dirname(opts.playlistPath);
  const sized = await Promise.all(
    playlist.segments.map(async (s) => ({ duration: s.duration, bytes: (await stat(join(dir, s.uri))).size })),
  );
  const { peak, average } = bandwidthOf(sized, playlist.targetDuration);
  const first = playlist.segments[0];
  let probed: { streams?: ProbedStream[] };
  if (first.map === undefined) {
    probed = await ffprobeJson(opts.ffprobePath, join(dir, first.uri), opts.signal);
  } else {
    // An fMP4 media segment has no sample entry: ffprobe reads the init segment and the first segment as one file.
    if (first.map.includes('/') || first.uri.includes('/')) throw new SpherecastError('SC_ERR_TRANSCODE', [opts.name, 'unexpected segment URI']);
    const joined = join(dir, `.measure-${first.uri}.mp4`);
    await writeFile(joined, Buffer.concat([await readFile(join(dir, first.map)), await readFile(join(dir, first.uri))]));
    try {
      probed = await ffprobeJson(opts.ffprobePath, joined, opts.signal);
    } finally {
      await rm(joined, { force: true });
    }
  }
  const streams = probed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  const base = {
    name: opts.name,
    peakBandwidth: peak,
    averageBandwidth: average,
    duration: playlist.segments.reduce((n, s) => n + s.duration, 0),
    segments: playlist.segments.length,
  };
  if (video) {
    const codec = videoCodecString(opts.name, video);
    const fps = parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate);
    return { ...base, kind: 'video', codec, width: video.width, height: video.height, frameRate: fps };
  }
  if (audio) {
    if (audio.codec_name !== 'aac') throw new SpherecastError('SC_ERR_TRANSCODE', [opts.name, `produced ${audio.codec_name}, not aac`]);
    // ffmpeg's native AAC encoder writes AAC-LC: object type 2.
    return { ...base, kind: 'audio', codec: 'mp4a.40.2', channels: audio.channels };
  }
  throw new SpherecastError('SC_ERR_TRANSCODE', [opts.name, 'the first segment has neither video nor audio']);
}
