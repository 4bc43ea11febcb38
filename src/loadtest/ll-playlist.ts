/**
 * Pure: what an LL-HLS player needs from a media playlist (RFC 8216bis 4.4.4.9, 4.4.5.2-3): the parts
 * with their media sequence numbers, the last complete segment, the part target, the init segment and
 * whether the stream ended. Delta updates (EXT-X-SKIP) count the skipped segments. Bounded: a playlist
 * longer than MAX_LL_PLAYLIST_BYTES is refused.
 */
export interface LlPart {
  msn: number;
  /** Part index within its segment. */
  index: number;
  duration: number;
  uri: string;
}

export interface LlPlaylist {
  targetDuration: number;
  partTarget: number;
  /** PART-HOLD-BACK (seconds): how far behind the live edge a player starts. */
  partHoldBack: number;
  canBlockReload: boolean;
  canSkip: boolean;
  /** The last complete segment's media sequence number (mediaSequence - 1 when none). */
  lastMsn: number;
  parts: LlPart[];
  /** Complete segments still listed: full segments for a player too far behind for parts. */
  segments: Array<{ msn: number; uri: string; duration: number }>;
  map?: string;
  endList: boolean;
}

export const MAX_LL_PLAYLIST_BYTES = 1024 * 1024;

const ATTR_URI = /URI="([^"]*)"/;
const ATTR_DURATION = /DURATION=([0-9.]+)/;

export function parseLlPlaylist(text: string): LlPlaylist {
  if (text.length > MAX_LL_PLAYLIST_BYTES) throw new Error('playlist too large');
  if (!text.startsWith('#EXTM3U')) throw new Error('not a playlist');
  let targetDuration = -1;
  let partTarget = 0;
  let partHoldBack = 0;
  let canBlockReload = false;
  let canSkip = false;
  let msn = 0;
  let index = 0;
  let duration: number | undefined;
  let map: string | undefined;
  let endList = false;
  const parts: LlPart[] = [];
  const segments: LlPlaylist['segments'] = [];
  for (const raw of text.split('\n')) {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (l.startsWith('#EXT-X-PART:')) {
      const uri = ATTR_URI.exec(l)?.[1];
      const d = Number(ATTR_DURATION.exec(l)?.[1]);
      if (uri === undefined || !(d > 0)) throw new Error('EXT-X-PART without URI or DURATION');
      parts.push({ msn, index: index++, duration: d, uri });
    } else if (l.startsWith('#EXTINF:')) duration = Number(l.slice(8).split(',')[0]);
    else if (l.length > 0 && !l.startsWith('#')) {
      if (duration === undefined) throw new Error(`segment ${l} has no EXTINF`);
      segments.push({ msn, uri: l, duration });
      msn++;
      index = 0;
      duration = undefined;
    } else if (l.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = Number(l.slice(22));
    else if (l.startsWith('#EXT-X-MEDIA-SEQUENCE:')) msn = Number(l.slice(22));
    else if (l.startsWith('#EXT-X-SKIP:')) msn += Number(/SKIPPED-SEGMENTS=(\d+)/.exec(l)?.[1] ?? 0);
    else if (l.startsWith('#EXT-X-PART-INF:')) partTarget = Number(/PART-TARGET=([0-9.]+)/.exec(l)?.[1] ?? 0);
    else if (l.startsWith('#EXT-X-SERVER-CONTROL:')) {
      canBlockReload = l.includes('CAN-BLOCK-RELOAD=YES');
      canSkip = l.includes('CAN-SKIP-UNTIL=');
      partHoldBack = Number(/PART-HOLD-BACK=([0-9.]+)/.exec(l)?.[1] ?? 0);
    } else if (l.startsWith('#EXT-X-MAP:')) map = ATTR_URI.exec(l)?.[1];
    else if (l === '#EXT-X-ENDLIST') endList = true;
  }
  if (targetDuration < 0) throw new Error('media playlist has no #EXT-X-TARGETDURATION');
  return { targetDuration, partTarget, partHoldBack: partHoldBack || 3 * partTarget, canBlockReload, canSkip, lastMsn: msn - 1, parts, segments, map, endList };
}

/**
 * The delivery directives of the next blocking reload (6.2.5.2), as hls.js asks them: the part after
 * the last one listed, which is part 0 of the next segment once the last listed part's segment is complete.
 */
export function nextDirectives(p: LlPlaylist): { msn: number; part: number } {
  const last = p.parts[p.parts.length - 1];
  if (last === undefined || last.msn <= p.lastMsn) return { msn: p.lastMsn + 1, part: 0 };
  return { msn: last.msn, part: last.index + 1 };
}
