import { parseMediaPlaylist, type MediaPlaylist, type Variant } from '../shared/hls-playlist';
import { PlaybackBuffer } from './playback-buffer';
import { parseMaster } from './plan-viewer';
import type { Viewer, ViewerContext } from './viewer-context';

/**
 * A live HLS player as a virtual viewer: it loads the master, picks the highest variant, starts a few
 * segments behind the live edge (like hls.js), reloads the media playlist every target duration, downloads
 * each new segment once, in order, and tracks its playback buffer; a segment that arrives after the buffer
 * ran dry is a stall. When the stream ends (ENDLIST and everything downloaded) the viewer stops.
 */
export interface PlayerViewerOptions {
  masterUrl: string;
  /** Start this many segments from the live edge (hls.js liveSyncDurationCount is 3). */
  liveStartSegments: number;
  /** Do not download further ahead than this many seconds of media (matters for VOD). */
  maxBufferAheadS: number;
  /** Wait before retrying a failed master playlist (ms). */
  retryMs: number;
}

/** The variant a player on a fast network ends up on: the highest bandwidth. */
export function pickVariant(variants: readonly Variant[]): Variant | undefined {
  return variants.reduce<Variant | undefined>((best, v) => (!best || v.bandwidth > best.bandwidth ? v : best), undefined);
}

/** Media sequence number of the first segment a player joining `p` downloads. */
export function startSequence(p: MediaPlaylist, liveStartSegments: number): number {
  if (p.endList) return p.mediaSequence;
  return p.mediaSequence + Math.max(0, p.segments.length - liveStartSegments);
}

/** The URL of the variant a player plays: the master is loaded (again after `retryMs` on failure) until one is listed; undefined if the run stops first. */
export async function chooseVariant({ id, fetcher, stop }: Pick<ViewerContext, 'id' | 'fetcher' | 'stop'>, masterUrl: string, retryMs: number): Promise<string | undefined> {
  while (!stop.stopping) {
    const master = await fetcher.playlist(id, 'master', masterUrl, parseMaster, stop.abortSignal);
    const v = master.ok ? pickVariant(master.value.variants) : undefined;
    if (v) return new URL(v.uri, masterUrl).href;
    await stop.sleep(retryMs);
  }
  return undefined;
}

export function playerViewer(o: PlayerViewerOptions): Viewer {
  return async (ctx) => {
    const { id, fetcher, results, clock, stop } = ctx;
    const signal = stop.abortSignal;
    const variantUrl = await chooseVariant(ctx, o.masterUrl, o.retryMs);
    if (!variantUrl) return;

    const buffer = new PlaybackBuffer();
    let nextSeq: number | undefined;
    let reloadMs = o.retryMs;
    let ended = false;
    while (!stop.stopping && !ended) {
      const reloadAt = clock.now();
      const media = await fetcher.playlist(id, 'variant', variantUrl, parseMediaPlaylist, signal);
      if (media.ok) {
        const p = media.value;
        reloadMs = Math.max(500, p.targetDuration * 1000);
        if (nextSeq === undefined) nextSeq = startSequence(p, o.liveStartSegments);
        if (nextSeq < p.mediaSequence) {
          // The window moved past segments this player never got: they are lost (the buffer will show it).
          results.skipped(p.mediaSequence - nextSeq);
          nextSeq = p.mediaSequence;
        }
        for (let i = nextSeq - p.mediaSequence; i < p.segments.length && !stop.stopping; i++) {
          const seg = p.segments[i];
          while (!stop.stopping && buffer.ahead(clock.now()) > o.maxBufferAheadS) await stop.sleep(1000);
          if (stop.stopping) break;
          const got = await fetcher.segment(id, new URL(seg.uri, variantUrl).href, signal);
          if (got.ok) {
            const stall = buffer.append(seg.duration, clock.now());
            if (stall) results.stall(id, stall);
          } else if (got.status === 404 || got.status === 410) {
            results.skipped(1);
          } else {
            // Retry this segment after the next reload.
            break;
          }
          nextSeq++;
        }
        ended = p.endList && nextSeq >= p.mediaSequence + p.segments.length;
      }
      if (!ended) await stop.sleep(reloadAt + reloadMs - clock.now());
    }
    // A buffer that is empty when the run ends (and the stream did not) is a stall in progress.
    if (!ended) {
      const stall = buffer.finish(clock.now());
      if (stall) results.stall(id, stall);
    }
  };
}
