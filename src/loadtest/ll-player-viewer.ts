import { PlaybackBuffer } from './playback-buffer';
import { nextDirectives, parseLlPlaylist, type LlPlaylist } from './ll-playlist';
import { chooseVariant } from './player-viewer';
import type { Viewer } from './viewer-context';

/**
 * A Low-Latency HLS player as a virtual viewer, the way hls.js plays at the live edge: the master,
 * the highest variant, its playlist once, then a start PART-HOLD-BACK behind the live edge; from
 * there it downloads every part in order and asks for the next part with a blocking reload
 * (`_HLS_msn`/`_HLS_part`, `_HLS_skip=YES` when the server can skip), so it reloads at part rate.
 * Parts feed the playback buffer; a part that arrives after the buffer ran dry is a stall. A player
 * left behind the parts still listed catches up with whole segments.
 */
export interface LlPlayerViewerOptions {
  masterUrl: string;
  /** Wait before retrying a failed master playlist (ms). */
  retryMs: number;
}

/** Thousands of viewers get the same playlist text: parse each text once. */
const MEMO_SIZE = 64;
const parsed = new Map<string, LlPlaylist>();
function parseShared(text: string): LlPlaylist {
  let p = parsed.get(text);
  if (p === undefined) {
    p = parseLlPlaylist(text);
    parsed.set(text, p);
    if (parsed.size > MEMO_SIZE) parsed.delete(parsed.keys().next().value as string);
  }
  return p;
}

type Position = { msn: number; index: number };
const before = (a: Position, b: Position) => a.msn < b.msn || (a.msn === b.msn && a.index < b.index);

/** The first part a player joining `p` plays: PART-HOLD-BACK of parts before the end. */
export function startPosition(p: LlPlaylist): Position {
  let held = 0;
  for (let i = p.parts.length - 1; i >= 0; i--) {
    held += p.parts[i]!.duration;
    if (held >= p.partHoldBack) return { msn: p.parts[i]!.msn, index: p.parts[i]!.index };
  }
  const first = p.parts[0];
  return first ? { msn: first.msn, index: first.index } : { msn: p.lastMsn + 1, index: 0 };
}

export function llPlayerViewer(o: LlPlayerViewerOptions): Viewer {
  return async (ctx) => {
    const { id, fetcher, results, clock, stop } = ctx;
    const signal = stop.abortSignal;
    const variantUrl = await chooseVariant(ctx, o.masterUrl, o.retryMs);
    if (!variantUrl) return;
    const dir = variantUrl.slice(0, variantUrl.lastIndexOf('/') + 1);
    const resolve = (uri: string) => (/^[A-Za-z0-9_.-]+$/.test(uri) ? dir + uri : new URL(uri, variantUrl).href);

    let initial: LlPlaylist | undefined;
    while (!stop.stopping && !initial) {
      const first = await fetcher.playlist(id, 'variant', variantUrl, parseShared, signal);
      if (first.ok && first.value.canBlockReload && first.value.partTarget > 0) initial = first.value;
      else await stop.sleep(o.retryMs);
    }
    if (!initial) return;
    let p: LlPlaylist = initial;
    if (p.map) await fetcher.segment(id, resolve(p.map), signal);

    const buffer = new PlaybackBuffer();
    let want = startPosition(p);
    // Playback starts once the parts up to the live edge it joined at are in (a player does not
    // play its first part alone); from then on a part that comes late is a stall.
    const startedAt = { msn: p.parts[p.parts.length - 1]?.msn ?? want.msn, index: p.parts[p.parts.length - 1]?.index ?? want.index };
    let startSeconds = 0;
    const played = (part: Position, seconds: number) => {
      if (!buffer.started && before(part, startedAt)) {
        startSeconds += seconds;
        return;
      }
      const stall = buffer.append(startSeconds + seconds, clock.now());
      startSeconds = 0;
      if (stall) results.stall(id, stall);
    };
    let ended = false;
    while (!stop.stopping && !ended) {
      // Whole segments for what is no longer listed as parts (a player that fell behind).
      const firstPart = p.parts[0];
      for (const s of p.segments) {
        if (stop.stopping || !(want.index === 0 && s.msn === want.msn && (!firstPart || s.msn < firstPart.msn))) continue;
        const got = await fetcher.segment(id, resolve(s.uri), signal);
        if (!got.ok && got.status !== 404 && got.status !== 410) break;
        if (got.ok) played({ msn: s.msn, index: 0 }, s.duration);
        else results.skipped(1);
        want = { msn: s.msn + 1, index: 0 };
      }
      if (firstPart && before(want, firstPart)) {
        // Left behind what the playlist still lists: the rest of that segment is lost.
        results.skipped(1);
        want = { msn: firstPart.msn, index: firstPart.index };
      }
      for (const part of p.parts) {
        if (stop.stopping) break;
        if (before(part, want)) continue;
        if (part.msn !== want.msn || part.index !== want.index) {
          // The segment we were in is complete: go on with the next one.
          if (part.msn === want.msn + 1 && part.index === 0 && want.msn <= p.lastMsn) want = { msn: part.msn, index: 0 };
          else break;
        }
        const got = await fetcher.segment(id, resolve(part.uri), signal);
        if (got.ok) {
          played(part, part.duration);
        } else if (got.status === 404 || got.status === 410) {
          results.skipped(1);
        } else {
          break;
        }
        want = { msn: part.msn, index: part.index + 1 };
      }
      if (p.endList) {
        ended = true;
        break;
      }
      const next = nextDirectives(p);
      const query: string = `?_HLS_msn=${next.msn}&_HLS_part=${next.part}${p.canSkip ? '&_HLS_skip=YES' : ''}`;
      const reload: Awaited<ReturnType<typeof fetcher.playlist<LlPlaylist>>> = await fetcher.playlist(id, 'variant', variantUrl + query, parseShared, signal);
      if (reload.ok) p = reload.value;
      else if (!stop.stopping) await stop.sleep(p.partTarget * 1000);
    }
    if (!ended) {
      const stall = buffer.finish(clock.now());
      if (stall) results.stall(id, stall);
    }
  };
}
