import { join } from 'node:path';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import { HlsPackager } from './hls-packager';
import { MediaInfo } from './media-info';
import { Recorder } from './recorder';
import { flvTag } from './flv-writer';
import { DelayedUnlink } from './delayed-unlink';
import { finishLeftoverPlaylists } from './hls-leftovers';
import { KeyframeInterval } from './keyframe-interval';
import { scError } from '../shared/errors';

/** One publish in progress, as the ingest hands it over. */
export interface PublishStart {
  readonly app: string;
  readonly name: string;
  readonly addr: string;
  /** Bytes received on the publisher's connection so far. */
  readonly inBytes: () => number;
  /** Drops the publisher's connection. */
  readonly drop: () => void;
}

export interface LiveStream {
  readonly start: PublishStart;
  readonly startedAt: number;
  readonly info: MediaInfo;
  readonly packager: HlsPackager;
  readonly recorder?: Recorder;
  /** Viewer address -> last time it fetched this stream's HLS. */
  readonly viewers: Map<string, number>;
  warnedCodecs: Set<string>;
  readonly keyframes: KeyframeInterval;
}

export interface LiveStreamsOptions {
  readonly mediaDir: string;
  readonly variantSuffix: string;
  readonly fragmentSeconds: number;
  readonly playlistSeconds: number;
  readonly ffmpegPath: string;
  /** Set when every stream is recorded. */
  readonly record?: { readonly recDir: string; readonly maxBytes: number; readonly onPartClosed: (path: string) => void };
  readonly clock: Clock;
  readonly log: Logger;
}

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
    const packager = new HlsPackager({
      hlsDir: this.hlsDir,
      name: start.name,
      variantSuffix: this.opts.variantSuffix,
      fragmentSeconds: this.opts.fragmentSeconds,
      playlistSeconds: this.opts.playlistSeconds,
      ffmpegPath: this.opts.ffmpegPath,
      info,
      deleter: this.deleter,
      clock: this.opts.clock,
      log: this.opts.log,
    });
    const rec = this.opts.record;
    const recorder = rec
      ? new Recorder({ recDir: rec.recDir, name: start.name, maxBytes: rec.maxBytes, clock: this.opts.clock, log: this.opts.log, onPartClosed: rec.onPartClosed })
      : undefined;
    const stream: LiveStream = { start, startedAt: this.opts.clock.now(), info, packager, recorder, viewers: new Map(), warnedCodecs: new Set(), keyframes: new KeyframeInterval(this.opts.fragmentSeconds) };
    this.streams.set(start.name, stream);
    try {
      await packager.start();
    } catch (err) {
      this.streams.delete(start.name);
      throw err;
    }
    this.log.info({ stream: start.name, addr: start.addr }, 'publish started');
    return stream;
  }

  /** Every FLV tag of a live publish passes here; `body` is only valid during the call. */
  tag(stream: LiveStream, type: number, dts: number, body: Buffer): void {
    const kind = stream.info.observe(type, dts, body);
    if (kind === 'unsupported') {
      for (const c of stream.info.unsupported) {
        if (stream.warnedCodecs.has(c)) continue;
        stream.warnedCodecs.add(c);
        this.log.warn({ code: 'SC_ERR_UNSUPPORTED_CODEC', stream: stream.start.name, codec: c }, `unsupported ${c}: that track is left out of HLS (H.264 and AAC are packaged)`);
      }
      return;
    }
    // One FLV tag per packet, shared by the packager and the recorder (neither changes it).
    const tag = kind === 'metadata' || kind === 'ignored' ? undefined : flvTag(type, dts, body);
    if (!tag) return;
    if (kind === 'video-key') this.checkKeyframes(stream, dts);
    stream.packager.write(dts, body, kind, tag);
    stream.recorder?.write(dts, body, kind, tag);
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
    await Promise.all([stream.packager.close(), stream.recorder?.close()]);
    this.log.info({ stream: stream.start.name, seconds: Math.round((this.opts.clock.now() - stream.startedAt) / 1000) }, 'publish ended');
  }

  touchViewer(name: string, addr: string): void {
    const s = this.streams.get(name);
    if (s) s.viewers.set(addr, this.opts.clock.now());
  }

  viewerCount(stream: LiveStream): number {
    const cutoff = this.opts.clock.now() - VIEWER_WINDOW_MS;
    for (const [addr, at] of stream.viewers) if (at < cutoff) stream.viewers.delete(addr);
    return stream.viewers.size;
  }
}
