import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../shared/clock';
import type { StreamLayout } from '../shared/layout/stream-layout';
import type { Logger } from '../shared/logger';
import { makeThumbnail } from '../shared/thumbnail';
import { latestSegment } from './latest-segment';
import type { LiveStreams } from './live-streams';

export interface LiveThumbnailsOptions {
  readonly streams: LiveStreams;
  readonly hlsDir: string;
  readonly variantSuffix: string;
  readonly ffmpegPath: string;
  /** THUMBNAIL_INTERVAL: how often each live stream's picture is renewed. */
  readonly intervalMs: number;
  /** THUMBNAIL_TIMEOUT: one ffmpeg run's limit. */
  readonly timeoutMs: number;
  /** THUMBNAIL_IDLE: renewing stops this long after the last request that shows thumbnails (0 = never stops). */
  readonly idleMs: number;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Our own playlists are a few KiB; a bigger file is not one to read whole. */
const MAX_PLAYLIST_BYTES = 1 << 20;

/** Where a live stream's thumbnail is written and served: beside its master, `/hls/<name>.jpg`. */
export function thumbnailFile(name: string): string {
  return `${name}.jpg`;
}

/**
 * Renews `/hls/<name>.jpg` of every live stream whose layout is known, from the first frame of its newest segment
 * (every segment starts on a keyframe), once per interval and only when a new segment exists. One ffmpeg at a time
 * for all streams, each bounded by the time limit, so thumbnails never take more than one core.
 *
 * Only while someone looks: each renewal is an ffmpeg run (measured: a third of an origin's CPU with 8 streams
 * and a 5 s interval, more than packaging them), so renewing stops THUMBNAIL_IDLE after the last request for
 * /stat or a thumbnail (the index page polls /stat), and the first such request after that starts it again at once.
 */
export class LiveThumbnails {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly stop = new AbortController();
  /** Stream name -> the segment its thumbnail was made from. */
  private readonly made = new Map<string, string>();
  private readonly log: Logger;
  /** When a request last showed thumbnails; -Infinity until one does. */
  private wantedAt = -Infinity;

  constructor(private readonly opts: LiveThumbnailsOptions) {
    this.log = opts.log.child({ component: 'thumbnails' });
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.wanted) this.renewNow();
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** A request that shows thumbnails (/stat, /hls/<name>.jpg): renew them, at once if they had stopped. */
  want(): void {
    const idle = !this.wanted;
    this.wantedAt = this.opts.clock.now();
    if (idle && this.timer && !this.stop.signal.aborted) this.renewNow();
  }

  private get wanted(): boolean {
    return this.opts.idleMs <= 0 || this.opts.clock.now() - this.wantedAt <= this.opts.idleMs;
  }

  private renewNow(): void {
    this.running ??= this.renewAll().finally(() => (this.running = undefined));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.stop.abort();
    await this.running;
  }

  private async renewAll(): Promise<void> {
    const live = this.opts.streams.list();
    for (const name of this.made.keys()) if (!live.some((s) => s.start.name === name)) this.made.delete(name);
    for (const stream of live) {
      if (this.stop.signal.aborted) return;
      const layout = stream.layout;
      if (!layout) continue;
      const name = stream.start.name;
      try {
        const at = await this.renew(name, layout);
        if (at !== undefined) stream.thumbnailAt = at;
      } catch (err) {
        if (this.stop.signal.aborted) return;
        const e = err as Error & { code?: string };
        this.log.warn({ code: e.code, stream: name }, `no thumbnail: ${e.message}`);
      }
    }
  }

  /** Makes the thumbnail from the newest segment if it is new; the time it was made, or undefined if unchanged. */
  private async renew(name: string, layout: StreamLayout): Promise<number | undefined> {
    const variantDir = join(this.opts.hlsDir, `${name}${this.opts.variantSuffix}`);
    const playlistPath = join(variantDir, 'index.m3u8');
    const size = (await stat(playlistPath).catch(() => undefined))?.size;
    if (size === undefined || size > MAX_PLAYLIST_BYTES) return undefined;
    const segment = latestSegment(await readFile(playlistPath, 'utf8'));
    if (!segment) return undefined;
    const key = `${segment.map ?? ''}/${segment.uri}`;
    if (this.made.get(name) === key) return undefined;
    // fMP4: the init segment and the media segment read as one file, byte after byte (the concat protocol, which
    // splits on '|': stream names cannot contain one, and a MEDIA_DIR that does only fails its thumbnails).
    const input = segment.map
      ? ['-f', 'mp4', '-protocol_whitelist', 'file,concat', '-i', `concat:${join(variantDir, segment.map)}|${join(variantDir, segment.uri)}`]
      : ['-f', 'mpegts', '-protocol_whitelist', 'file', '-i', `file:${join(variantDir, segment.uri)}`];
    await makeThumbnail({
      ffmpegPath: this.opts.ffmpegPath,
      input,
      layout,
      output: join(this.opts.hlsDir, thumbnailFile(name)),
      label: `thumbnail of ${name}`,
      timeoutMs: this.opts.timeoutMs,
      signal: this.stop.signal,
    });
    this.made.set(name, key);
    return this.opts.clock.now();
  }
}
