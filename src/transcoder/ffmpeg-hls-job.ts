import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';
import { join } from 'node:path';
import { SpherecastError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { RenditionPlan, VideoRendition } from './ladder';
import { fileUrl } from './safe-input';

/**
 * One ffmpeg run that decodes the source once and writes every rendition as HLS at once: a
 * split/scale filter graph, one x264 encoder per rendition with the same fixed GOP
 * (segment length x fps, keyint_min equal, no scene-cut keyframes, keyframes forced on segment
 * boundaries) so all renditions cut segments at the same instants, and the HLS muxer with
 * -var_stream_map writing `<outDir>/<rendition>/index.m3u8` and its segments.
 */
export interface HlsJobOptions {
  readonly input: string;
  /** Input options that pin the demuxer and protocols (safe-input.ts). */
  readonly inputArgs?: readonly string[];
  readonly outDir: string;
  readonly plan: RenditionPlan;
  readonly preset: string;
  /** 0 = ffmpeg decides. */
  readonly threads: number;
  readonly ffmpegPath: string;
  readonly log: Logger;
  /** Source duration in seconds, for percent and ETA (optional). */
  readonly duration?: number;
  /** Called at most every `progressEveryMs` with ffmpeg's progress. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressEveryMs?: number;
  /** What this run encodes: everything (the default), only the video renditions, or only the audio. */
  readonly streams?: StreamSelection;
  /** Encode only this part of the source (a chunk): input seek to `start`, `duration` seconds or to the end. */
  readonly seek?: { readonly start: number; readonly duration?: number };
  /** Added to every output timestamp (seconds), so chunks stitched in order play as one timeline. */
  readonly tsOffset?: number;
  /** Segment container: fMP4/CMAF (the default; the 360 boxes go into its init segments) or MPEG-TS. */
  readonly format?: SegmentFormat;
  /** Per-rendition encoder settings (by rendition name) over `preset` and `threads`. */
  readonly tuning?: ReadonlyMap<string, EncoderTuning>;
}

export type SegmentFormat = 'fmp4' | 'ts';

/** Encoder settings of one rendition. */
export interface EncoderTuning {
  readonly preset?: string;
  /** 0 = the encoder decides. */
  readonly threads?: number;
}

/** Base name of the fMP4 init segments (ffmpeg numbers them per variant: init_0.mp4, init_1.mp4, ...). */
export const INIT_SEGMENT_NAME = 'init.mp4';

export type StreamSelection = 'all' | 'video' | 'audio';

export interface Progress {
  /** Seconds of output written. */
  readonly time: number;
  /** Multiple of real time, as ffmpeg reports it. */
  readonly speed?: number;
  readonly percent?: number;
  /** Seconds left at the current speed. */
  readonly etaSeconds?: number;
}

/** Reads ffmpeg's status line ("frame= 144 ... time=00:00:06.01 bitrate=... speed=18.3x"). Pure. */
export function parseProgressLine(line: string): { time: number; speed?: number } | undefined {
  const t = /time=\s*(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(line);
  if (!t) return undefined;
  const time = t[1] === '-' ? 0 : Number(t[2]) * 3600 + Number(t[3]) * 60 + Number(t[4]);
  const s = /speed=\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?)x/.exec(line);
  const speed = s ? Number(s[1]) : undefined;
  return { time, speed: speed !== undefined && Number.isFinite(speed) && speed > 0 ? speed : undefined };
}

/** Percent done and time left, given output time, speed and the source duration. Pure. */
export function progressOf(p: { time: number; speed?: number }, duration?: number): Progress {
  if (!duration || duration <= 0) return { time: p.time, speed: p.speed };
  const percent = Math.min(100, Math.max(0, (100 * p.time) / duration));
  const etaSeconds = p.speed ? Math.max(0, (duration - p.time) / p.speed) : undefined;
  return { time: p.time, speed: p.speed, percent: Math.round(percent * 10) / 10, etaSeconds: etaSeconds === undefined ? undefined : Math.round(etaSeconds) };
}

function scaleTo(r: VideoRendition): string {
  // setsar=1: even rounding changes the aspect by a fraction of a pixel; keep pixels square.
  return `scale=${r.width}:${r.height}:flags=bicubic,setsar=1`;
}

/**
 * Where each rendition of a set (sorted largest first) is scaled from: the smallest larger rendition at least
 * twice its size in both dimensions, else `fallback` (-1: the set's head). Scaling from a picture a little
 * larger (1.33x, 1.5x) filters it twice at odd ratios: measured on the bench source, a 180p made through
 * every rung of the ladder read SSIM 0.9942 against an ideal (lanczos) 180p, one made through 360p 0.9966,
 * one scaled straight from 1080p 0.9970. Pure.
 */
export function scaleParents(sizes: ReadonlyArray<{ width: number; height: number }>, fallback: -1 | 0): number[] {
  return sizes.map((r, i) => {
    if (i === 0) return -1;
    for (let p = i - 1; p >= 0; p--) if (sizes[p].width >= 2 * r.width && sizes[p].height >= 2 * r.height) return p;
    return fallback;
  });
}

/**
 * The filter graph: the decoded source is read once; each projection's renditions are scaled in a
 * cascade (see scaleParents), the largest from the source: 0.82x the CPU of scaling every rendition
 * from the full-size source on the default ladder. Cubemaps come from v360 at their largest size and the smaller
 * ones from that. Viewport renditions (all of one size) are scaled once, then each copy gets its own
 * regions of interest. Outputs are labelled [r0], [r1], ... in plan order. Pure.
 */
export function buildFilterGraph(plan: RenditionPlan): string {
  const indexed = plan.video.map((r, index) => ({ r, index }));
  const sets = (['equirect', 'cubemap'] as const)
    .map((projection) =>
      indexed.filter((x) => x.r.projection === projection && x.r.viewportYaw === undefined).sort((a, b) => b.r.width * b.r.height - a.r.width * a.r.height),
    )
    .filter((s) => s.length > 0);
  const viewport = indexed.filter((x) => x.r.viewportYaw !== undefined);
  const heads = [...sets, ...(viewport.length > 0 ? [viewport] : [])].map((_, i) => `src${i}`);
  const parts: string[] = [];
  parts.push(`[0:v]format=yuv420p${heads.length > 1 ? `,split=${heads.length}${heads.map((h) => `[${h}]`).join('')}` : `[${heads[0]}]`}`);
  sets.forEach((set, si) => {
    const cubemap = set[0].r.projection === 'cubemap';
    // A cubemap's smaller faces come from its own largest, never from the equirect source.
    const parents = scaleParents(set.map((x) => x.r), cubemap ? 0 : -1);
    const input = set.map((_, i) => `c${si}_${i}`);
    const children = (p: number) => parents.flatMap((q, i) => (q === p ? [i] : []));
    const fromHead = children(-1);
    if (fromHead.length === 1) input[fromHead[0]] = heads[si];
    else parts.push(`[${heads[si]}]split=${fromHead.length}${fromHead.map((i) => `[${input[i]}]`).join('')}`);
    set.forEach(({ r, index }, i) => {
      const filter = i === 0 && cubemap ? `v360=input=e:output=c3x2:w=${r.width}:h=${r.height},setsar=1` : scaleTo(r);
      const outs = [`r${index}`, ...children(i).map((c) => input[c])];
      parts.push(`[${input[i]}]${filter}${outs.length > 1 ? `,split=${outs.length}` : ''}${outs.map((o) => `[${o}]`).join('')}`);
    });
  });
  if (viewport.length > 0) {
    const copies = viewport.map((_, i) => `[vp${i}]`);
    parts.push(`[${heads[heads.length - 1]}]${scaleTo(viewport[0].r)}${copies.length > 1 ? `,split=${copies.length}${copies.join('')}` : copies[0]}`);
    viewport.forEach(({ r, index }, i) => parts.push(`[vp${i}]${r.roi ?? 'null'}[r${index}]`));
  }
  return parts.join(';');
}

/** Output options after the filter graph (maps, encoders, HLS muxer). Pure. */
export function buildOutputArgs(opts: {
  outDir: string;
  plan: RenditionPlan;
  preset: string;
  threads: number;
  streams?: StreamSelection;
  tsOffset?: number;
  format?: SegmentFormat;
  tuning?: ReadonlyMap<string, EncoderTuning>;
}): string[] {
  const { plan } = opts;
  const streams = opts.streams ?? 'all';
  const format = opts.format ?? 'fmp4';
  const video = streams !== 'audio';
  const audio = streams !== 'video';
  const args: string[] = [];
  if (video) plan.video.forEach((_, i) => args.push('-map', `[r${i}]`));
  if (audio) args.push('-map', '0:a:0');
  if (video) {
    args.push('-pix_fmt', 'yuv420p');
    plan.video.forEach((r, i) => {
      const tuning = opts.tuning?.get(r.name);
      const threads = tuning?.threads ?? opts.threads;
      args.push(`-preset:v:${i}`, tuning?.preset ?? opts.preset);
      if (tuning?.threads !== undefined && tuning.threads > 0) args.push(`-threads:v:${i}`, String(tuning.threads));
      if (r.codec === 'hevc') {
        // hvc1 (parameter sets in the sample entry only) is what Apple players take in fMP4. x265 has its own
        // GOP settings: closed GOPs, no scene-cut keyframes, and forced keyframes made IDR, so every segment
        // starts with a picture that decodes on its own.
        args.push(`-c:v:${i}`, 'libx265', `-tag:v:${i}`, 'hvc1', `-forced-idr:v:${i}`, '1');
        // (Regions of interest need adaptive quantisation, which the fastest presets turn off.)
        args.push(`-x265-params:v:${i}`, `keyint=${plan.gop}:min-keyint=${plan.gop}:scenecut=0:open-gop=0:log-level=error${threads > 0 ? `:pools=${threads}:frame-threads=${Math.min(threads, 4)}` : ''}${r.roi ? ':aq-mode=1' : ''}`);
      } else {
        args.push(`-c:v:${i}`, 'libx264');
        if (r.roi) args.push(`-aq-mode:v:${i}`, 'variance');
      }
      args.push(`-b:v:${i}`, String(r.bitrate), `-maxrate:v:${i}`, String(r.maxrate), `-bufsize:v:${i}`, String(r.bufsize));
    });
    args.push(
      '-g', String(plan.gop),
      '-keyint_min', String(plan.gop),
      '-sc_threshold', '0',
      // Keyframes at every segment boundary by time, so fractional frame rates align too.
      '-force_key_frames', `expr:gte(t,n_forced*${plan.segmentSeconds})`,
    );
  }
  if (audio) args.push('-c:a', 'aac', '-b:a', String(plan.audio.bitrate), '-ac', '2');
  if (opts.threads > 0) args.push('-threads', String(opts.threads));
  if (opts.tsOffset) args.push('-output_ts_offset', String(opts.tsOffset));
  const streamMap = [
    ...(video ? plan.video.map((r, i) => `v:${i},name:${r.name}`) : []),
    ...(audio ? [`a:0,name:${plan.audio.name}`] : []),
  ].join(' ');
  args.push(
    '-f', 'hls',
    '-hls_time', String(plan.segmentSeconds),
    '-hls_playlist_type', 'vod',
    '-hls_flags', 'independent_segments',
    ...(format === 'fmp4'
      ? [
          '-hls_segment_type', 'fmp4',
          '-hls_fmp4_init_filename', INIT_SEGMENT_NAME,
          '-hls_segment_filename', join(opts.outDir, '%v', 'seg_%05d.m4s'),
          // A chunk's offset timestamps would otherwise become an empty edit in its init segment and fragments
          // starting at 0, which players that read tfdt (hls.js) put at the start of the timeline; frag_discont
          // puts the offset into each fragment's tfdt, so the chunks' inits stay identical.
          ...(opts.tsOffset ? ['-hls_segment_options', 'movflags=+frag_discont'] : []),
        ]
      : ['-hls_segment_type', 'mpegts', '-hls_segment_filename', join(opts.outDir, '%v', 'seg_%05d.ts')]),
    '-var_stream_map', streamMap,
  );
  return args;
}

/** The media playlist path of a rendition inside the job's output folder. */
export function renditionPlaylist(outDir: string, name: string): string {
  return join(outDir, name, 'index.m3u8');
}

export interface RunningHlsJob {
  /** Resolves when ffmpeg has written everything; rejects with SC_ERR_TRANSCODE. */
  readonly done: Promise<void>;
  /** Stops ffmpeg at once (SIGKILL: its partial output is scratch and gets thrown away). */
  kill(): void;
  /** ffmpeg's process id once it has started. */
  pid(): number | undefined;
}

/** fluent-ffmpeg keeps the spawned process on the command while it runs (not in its typings). */
function procOf(command: FfmpegCommand): { pid?: number; kill(signal: string): void } | undefined {
  return (command as unknown as { ffmpegProc?: { pid?: number; kill(signal: string): void } }).ffmpegProc;
}

export function startHlsJob(opts: HlsJobOptions): RunningHlsJob {
  const log = opts.log.child({ component: 'ffmpeg-hls-job' });
  let killed = false;
  let last = 0;
  const every = opts.progressEveryMs ?? 5000;
  const input = ['-nostdin', '-hide_banner'];
  // Input seeking decodes from the keyframe before `start` and drops frames up to it: frame-exact.
  if (opts.seek) input.push('-ss', String(opts.seek.start), ...(opts.seek.duration !== undefined ? ['-t', String(opts.seek.duration)] : []));
  input.push(...(opts.inputArgs ?? []));
  let command: FfmpegCommand = ffmpeg(fileUrl(opts.input)).setFfmpegPath(opts.ffmpegPath).inputOptions(...input);
  if (opts.streams !== 'audio') command = command.complexFilter(buildFilterGraph(opts.plan));
  command = command.outputOptions(...buildOutputArgs(opts)).output(renditionPlaylist(opts.outDir, '%v'));
  const done = new Promise<void>((resolve, reject) => {
    command.on('start', (line: string) => {
      log.debug({ command: line }, 'ffmpeg started');
      // fluent-ffmpeg prepares asynchronously; a stop that came before the spawn lands here.
      if (killed) procOf(command)?.kill('SIGKILL');
    });
    command.on('stderr', (line: string) => {
      const p = parseProgressLine(line);
      if (!p || !opts.onProgress) return;
      const now = Date.now();
      if (now - last < every) return;
      last = now;
      opts.onProgress(progressOf(p, opts.duration));
    });
    command.on('error', (err: Error) => {
      const why = killed ? 'stopped' : (err.message.split('\n').filter((l) => l.trim() !== '').slice(-3).join(' | ') || 'ffmpeg failed');
      reject(new SpherecastError('SC_ERR_TRANSCODE', [opts.input, why]));
    });
    command.on('end', () => resolve());
  });
  command.run();
  return {
    done,
    kill() {
      killed = true;
      procOf(command)?.kill('SIGKILL');
    },
    pid() {
      return procOf(command)?.pid;
    },
  };
}
