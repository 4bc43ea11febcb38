import { writeAtomic } from './write-atomic';
import { join } from 'node:path';
import { layoutJson, resolveLayout, type LayoutQuery, type StreamLayout } from '../shared/layout/stream-layout';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import { HlsPackager } from './hls-packager';
import { LiveMaster } from './live-master';
import { MediaInfo, type TagKind } from './media-info';
import { LivePackager } from './packager/live-packager';
import type { LiveRendition } from './packager/live-rendition';
import { Recorder } from './recorder';
import { FragmentRecorder } from './fragment-recorder';
import type { PacketCpuMeter } from './packager/packet-cpu-meter';
import { flvTag } from './flv-writer';
import { DelayedUnlink } from './delayed-unlink';
import { finishLeftoverPlaylists } from './hls-leftovers';
import { KeyframeInterval } from './keyframe-interval';
import { scError } from '../shared/errors';
import type { InstantVodLibrary } from './instant-vod/instant-vod-library';
import type { InstantVodWriter } from './instant-vod/instant-vod-writer';
import { LiveLadder, type LiveLadderSettings } from './live-ladder';

/** One publish in progress, as the ingest hands it over. */
export interface PublishStart {
  readonly app: string;
  readonly name: string;
  readonly addr: string;
  /** Bytes received on the publisher's connection so far. */
  readonly inBytes: () => number;
  /** Drops the publisher's connection. */
  readonly drop: () => void;
  /** The layout it asks for, most specific first (its URL, STREAM_LAYOUTS, DEFAULT_PROJECTION). */
  readonly layout?: readonly LayoutQuery[];
}

/** What LiveStreams needs of a packager: HLS_FORMAT=ts (ffmpeg) or fmp4 (in process, LL-HLS). */
export interface StreamPackaging {
  start(): Promise<void>;
  write(dts: number, body: Buffer, kind: TagKind, tag: Buffer): void;
  close(): Promise<void>;
  /** The rendition answered from memory while live (fMP4 only). */
  readonly rendition?: LiveRendition;
  /** The stream's layout, known once its picture size is (fMP4 writes it into the init segment). */
  setLayout?(layout: StreamLayout): void;
}

export interface LiveStream {
  readonly start: PublishStart;
  readonly startedAt: number;
  readonly info: MediaInfo;
  readonly packager: StreamPackaging;
  /** FLV parts from the tags (HLS_FORMAT=ts), or fragmented MP4 parts from the packager's own parts (fmp4). */
  readonly recorder?: Recorder | FragmentRecorder;
  /** Every segment kept for the instant VOD (fMP4 only). */
  readonly instantVod?: InstantVodWriter;
  /** Viewer address -> last time it fetched this stream's HLS. */
  readonly viewers: Map<string, number>;
  warnedCodecs: Set<string>;
  readonly keyframes: KeyframeInterval;
  readonly master: LiveMaster;
  /** Projection, stereo and initial view, resolved when the video configuration arrives. */
  layout?: StreamLayout;
  /** When `/hls/<name>.jpg` was last renewed (see live-thumbnails.ts). */
  thumbnailAt?: number;
  /** The live ladder's renditions (LIVE_LADDER, fMP4 only). */
  readonly ladder?: LiveLadder;
}

export interface LiveStreamsOptions {
  readonly mediaDir: string;
  readonly variantSuffix: string;
  readonly fragmentSeconds: number;
  readonly playlistSeconds: number;
  /** Seconds of the fMP4 playlist kept in memory when `playlistSeconds` is a longer DVR window. */
  readonly memorySeconds?: number;
  /** Instant VODs of fMP4 publishes (INSTANT_VOD). */
  readonly instantVod?: InstantVodLibrary;
  /** HLS_FORMAT: fMP4 with LL-HLS parts of `partSeconds`, or MPEG-TS through ffmpeg. */
  readonly format: 'fmp4' | 'ts';
  readonly partSeconds: number;
  readonly ffmpegPath: string;
  /** HLS_VIDEO_LAYOUT: REQ-VIDEO-LAYOUT on the master's variant. */
  readonly videoLayout: boolean;
  /** Set when every stream is recorded. */
  readonly record?: { readonly recDir: string; readonly maxBytes: number; readonly onPartClosed: (path: string) => void };
  /** LIVE_LADDER: renditions encoded from each stream (fMP4 only). */
  readonly ladder?: LiveLadderSettings & { readonly onDropped?: (reason: 'behind' | 'exited') => void };
  /** Sums the in-process packager's CPU per packet (fmp4). */
  readonly packagerCpu?: PacketCpuMeter;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The FLV tag the fMP4 packager is handed: it reads `body` only. */
const EMPTY = Buffer.alloc(0);

/** A viewer counts as watching while it fetched within this window. */
const VIEWER_WINDOW_MS = 30_000;

/** The streams being published now, each with its HLS packager. */
export class LiveStreams {
  private readonly streams = new Map<string, LiveStream>();
  private readonly log: Logger;
  readonly hlsDir: string;
  /** Segments of every stream (and of earlier runs) waiting out their retention. */
  private readonly deleter: DelayedUnlink;

  constructor(private readonly opts: LiveStreamsOptions) {
    this.log = opts.log.child({ component: 'streams' });
    this.hlsDir = join(opts.mediaDir, 'hls');
    this.deleter = new DelayedUnlink(opts.clock);
  }

  /** Before any publish: finishes what an earlier run left live (see hls-leftovers.ts). */
  async start(): Promise<void> {
    const o = this.opts;
    await finishLeftoverPlaylists({ hlsDir: this.hlsDir, fragmentSeconds: o.fragmentSeconds, playlistSeconds: o.playlistSeconds, deleter: this.deleter, clock: o.clock, log: o.log });
  }

  /** After every stream ended: segments still waiting are found again by the next start. */
  close(): void {
    this.deleter.close();
  }

  get size(): number {
    return this.streams.size;
  }

  has(name: string): boolean {
    return this.streams.has(name);
  }

  get(name: string): LiveStream | undefined {
    return this.streams.get(name);
  }

  list(): LiveStream[] {
    return [...this.streams.values()];
  }

  async begin(start: PublishStart): Promise<LiveStream> {
    const info = new MediaInfo();
    const o = this.opts;
    const variant = `${start.name}${o.variantSuffix}`;
    const master = new LiveMaster({ masterPath: join(this.hlsDir, `${start.name}.m3u8`), variantUri: `${variant}/index.m3u8`, info, videoLayout: o.videoLayout });
    const common = { hlsDir: this.hlsDir, name: start.name, variantSuffix: o.variantSuffix, fragmentSeconds: o.fragmentSeconds, playlistSeconds: o.playlistSeconds, info, master, deleter: this.deleter, clock: o.clock, log: o.log };
    const instantVod = o.format === 'fmp4' ? o.instantVod?.writer(start.name) : undefined;
    const rec = o.record ? { recDir: o.record.recDir, name: start.name, maxBytes: o.record.maxBytes, clock: o.clock, log: o.log, onPartClosed: o.record.onPartClosed } : undefined;
    let packager: StreamPackaging;
    let recorder: Recorder | FragmentRecorder | undefined;
    if (o.format === 'fmp4') {
      const fragments = rec ? new FragmentRecorder(rec) : undefined;
      recorder = fragments;
      packager = new LivePackager({
        ...common,
        partSeconds: o.partSeconds,
        ...(o.memorySeconds ? { memorySeconds: o.memorySeconds } : {}),
        ...(instantVod ? { instantVod } : {}),
        ...(fragments ? { onPart: (p) => fragments.part(p) } : {}),
        ...(o.packagerCpu ? { cpu: o.packagerCpu } : {}),
      });
    } else {
      recorder = rec ? new Recorder(rec) : undefined;
      packager = new HlsPackager({ ...common, ffmpegPath: o.ffmpegPath });
    }
    const ladder =
      o.ladder && packager instanceof LivePackager
        ? new LiveLadder({ ...o.ladder, ...common, partSeconds: o.partSeconds, videoLayout: o.videoLayout, source: { packager, variant, info } })
        : undefined;
    const stream: LiveStream = { start, startedAt: this.opts.clock.now(), info, packager, recorder, ladder, ...(instantVod ? { instantVod } : {}), viewers: new Map(), warnedCodecs: new Set(), keyframes: new KeyframeInterval(this.opts.fragmentSeconds), master };
    this.streams.set(start.name, stream);
    try {
      await packager.start();
    } catch (err) {
      this.streams.delete(start.name);
      if (instantVod) o.instantVod?.released(instantVod);
      throw err;
    }
    this.log.info({ stream: start.name, addr: start.addr }, 'publish started');
    return stream;
  }

  /**
   * Every FLV tag of a live publish passes here. `body` is the RTMP message's own buffer: the fMP4
   * packager keeps it uncopied until its part is written, so nothing may change it.
   */
  tag(stream: LiveStream, type: number, dts: number, body: Buffer): void {
    const kind = stream.info.observe(type, dts, body);
    if (kind === 'unsupported') {
      for (const c of stream.info.unsupported) this.warnOnce(stream, c);
      return;
    }
    if (kind === 'metadata' || kind === 'ignored') return;
    // FLV bytes only for ffmpeg: the ts packager, the FLV recorder (HLS_FORMAT=ts) and the live ladder's encoder; one
    // tag shared by all (none changes it).
    const tag = this.opts.format === 'ts' || stream.ladder ? flvTag(type, dts, body) : EMPTY;
    if (kind === 'video-key') this.checkKeyframes(stream, dts);
    if (kind === 'video-config') this.resolveLayout(stream);
    // ffmpeg 5.1 reads no Enhanced RTMP: HEVC reaches only the fMP4 packager (which records it too).
    if (this.opts.format === 'ts' && stream.info.videoConfig?.codec === 'hevc' && kind.startsWith('video')) return this.warnOnce(stream, 'video HEVC (HLS_FORMAT=ts)');
    stream.packager.write(dts, body, kind, tag);
    // With fmp4 the recorder is fed the packager's parts instead.
    if (stream.recorder instanceof Recorder) stream.recorder.write(dts, body, kind, tag);
    stream.ladder?.write(dts, kind, tag);
  }

  /** The layout for this picture size; written into the packaging and beside the master as `<name>.json`. */
  private resolveLayout(stream: LiveStream): void {
    const video = stream.info.video;
    if (!video) return;
    const layout = resolveLayout(stream.start.layout ?? [], video);
    const json = layoutJson(layout);
    if (stream.layout && layoutJson(stream.layout) === json) return;
    stream.layout = layout;
    stream.packager.setLayout?.(layout);
    stream.master.setLayout(layout);
    stream.ladder?.setLayout(layout);
    const path = join(this.hlsDir, `${stream.start.name}.json`);
    writeAtomic(path, json).catch((err) => this.log.error({ err, stream: stream.start.name }, `cannot write the layout JSON: ${(err as Error).message}`));
    this.log.info({ stream: stream.start.name, layout: json }, 'stream layout');
  }

  private warnOnce(stream: LiveStream, codec: string): void {
    if (stream.warnedCodecs.has(codec)) return;
    stream.warnedCodecs.add(codec);
    this.log.warn({ code: 'SC_ERR_UNSUPPORTED_CODEC', stream: stream.start.name, codec }, `unsupported ${codec}: left out (H.264 and AAC are packaged and recorded; HEVC too with HLS_FORMAT=fmp4)`);
  }

  /** The live LL-HLS rendition behind a variant folder name (`<name><suffix>`), while it is live. */
  rendition(variantDir: string): LiveRendition | undefined {
    const suffix = this.opts.variantSuffix;
    const r = variantDir.endsWith(suffix) ? this.streams.get(variantDir.slice(0, variantDir.length - suffix.length))?.packager.rendition : undefined;
    if (r) return r.isEnded ? undefined : r;
    // A ladder rendition's folder is `<name>_<rung>`.
    const cut = variantDir.lastIndexOf('_');
    return cut > 0 ? this.streams.get(variantDir.slice(0, cut))?.ladder?.rendition(variantDir) : undefined;
  }

  private checkKeyframes(stream: LiveStream, dts: number): void {
    const seconds = stream.keyframes.keyframe(dts);
    if (seconds === undefined) return;
    const name = stream.start.name;
    const fragment = this.opts.fragmentSeconds;
    const err = scError('SC_ERR_KEYFRAME_INTERVAL', name, seconds.toFixed(3), fragment, fragment);
    this.log.warn({ code: err.code, stream: name, keyframeIntervalSeconds: seconds, hlsFragmentSeconds: fragment }, err.message);
  }

  async end(stream: LiveStream): Promise<void> {
    if (this.streams.get(stream.start.name) === stream) this.streams.delete(stream.start.name);
    await Promise.all([stream.packager.close(), stream.recorder?.close(), stream.ladder?.close()]);
    if (stream.instantVod) this.opts.instantVod?.released(stream.instantVod);
    this.log.info({ stream: stream.start.name, seconds: Math.round((this.opts.clock.now() - stream.startedAt) / 1000) }, 'publish ended');
  }

  touchViewer(name: string, addr: string): void {
    // A ladder rendition's folder (`<name>_<rung>`) counts for its stream.
    const s = this.streams.get(name) ?? this.streams.get(name.slice(0, Math.max(0, name.lastIndexOf('_'))));
    if (s) s.viewers.set(addr, this.opts.clock.now());
  }

  viewerCount(stream: LiveStream): number {
    const cutoff = this.opts.clock.now() - VIEWER_WINDOW_MS;
    for (const [addr, at] of stream.viewers) if (at < cutoff) stream.viewers.delete(addr);
    return stream.viewers.size;
  }
}
