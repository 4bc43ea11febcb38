import { cacheKeyOf, isBlockingReload } from './request-target';

/**
 * Which upstream requests an LL-HLS origin may hold open, and for how long the edge waits for them.
 * A blocking playlist reload is held until its part exists, and a request for the hinted part
 * until that part is complete: at most three target durations (RFC 8216bis 6.2.5.2), longer than
 * the usual upstream timeout. The edge learns each playlist's target duration and preload hint from
 * the playlists it passes on, so the wait follows the stream: three target durations plus the
 * usual timeout, capped, and the cap itself while a playlist is not known yet.
 */
export interface HeldRequestsOptions {
  /** The usual upstream timeout: what an answer may take once the origin stops holding it. */
  baseTimeoutMs: number;
  /** The longest hold waited for, whatever a playlist says. */
  maxHoldMs: number;
}

/** Playlists (and hinted URIs) remembered; the oldest are forgotten first. */
const MAX_REMEMBERED = 10_000;
/** A playlist larger than this is not read for its target duration and hint. */
const MAX_SCAN_BYTES = 1024 * 1024;
const TARGET_DURATION = /^#EXT-X-TARGETDURATION:(\d{1,6})[ \t]*\r?$/m;
const PRELOAD_HINT = /^#EXT-X-PRELOAD-HINT:([^\r\n]{1,2048})/gm;
const HINT_URI = /(?:^|,)URI="([^"]{1,1024})"/;
const HINT_TYPE_PART = /(?:^|,)TYPE=PART(?:,|$)/;
/** Resolves hint URIs against a playlist's path without ever leaving this edge's own targets. */
const BASE = 'http://edge.invalid';

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as K);
}

export class HeldRequests {
  private readonly opts: HeldRequestsOptions;
  /** Playlist path to target duration in seconds. */
  private readonly targetDurations = new Map<string, number>();
  /** Key of a hinted part to the path of the playlist that hinted it. */
  private readonly hints = new Map<string, string>();

  constructor(opts: HeldRequestsOptions) {
    this.opts = opts;
  }

  /** Reads the target duration and the part hint of a playlist answer for `key`. */
  learn(key: string, body: Buffer): void {
    if (body.length > MAX_SCAN_BYTES) return;
    const q = key.indexOf('?');
    const path = q >= 0 ? key.slice(0, q) : key;
    const text = body.toString('latin1');
    const td = TARGET_DURATION.exec(text);
    if (td) remember(this.targetDurations, path, Number(td[1]));
    for (const m of text.matchAll(PRELOAD_HINT)) {
      const attrs = m[1]!;
      const uri = HINT_TYPE_PART.test(attrs) ? HINT_URI.exec(attrs)?.[1] : undefined;
      if (uri === undefined) continue;
      let url: URL;
      try {
        url = new URL(uri, BASE + path);
      } catch {
        continue;
      }
      if (url.origin === BASE) remember(this.hints, cacheKeyOf(url.pathname + url.search), path);
    }
  }

  /** The upstream timeout for `key` when the origin may hold it; undefined for ordinary requests. */
  timeoutMs(key: string): number | undefined {
    let playlist: string | undefined;
    if (isBlockingReload(key)) playlist = key.slice(0, key.indexOf('?'));
    else playlist = this.hints.get(key);
    if (playlist === undefined) return undefined;
    const td = this.targetDurations.get(playlist);
    const holdMs = td === undefined ? this.opts.maxHoldMs : Math.min(this.opts.maxHoldMs, 3 * td * 1000);
    return holdMs + this.opts.baseTimeoutMs;
  }
}
