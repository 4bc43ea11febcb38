/**
 * Pure: the Low-Latency HLS media playlist (draft-pantos-hls-rfc8216bis, 4.4.4.9 and 6.2.5 ff.)
 * of one rendition, written from the packager's state. Plain HLS clients read the same text: they
 * ignore EXT-X-PART, EXT-X-PRELOAD-HINT and EXT-X-SERVER-CONTROL.
 */

export interface PlaylistPart {
  /** Seconds. */
  readonly duration: number;
  readonly uri: string;
  readonly independent: boolean;
}

export interface PlaylistSegment {
  /** Media sequence number. */
  readonly msn: number;
  /** Seconds. */
  readonly duration: number;
  readonly uri: string;
  readonly mapUri: string;
  readonly discontinuity: boolean;
  readonly programDateTime: Date;
  readonly parts: readonly PlaylistPart[];
}

export interface RenditionReport {
  readonly uri: string;
  readonly lastMsn: number;
  readonly lastPart: number;
}

export interface LivePlaylistState {
  /** Seconds, as an integer (RFC 8216 4.3.3.1). */
  readonly targetDuration: number;
  /** Seconds; absent for a plain (non-LL) playlist. */
  readonly partTarget?: number;
  readonly discontinuitySequence: number;
  /** Complete segments, oldest first. */
  readonly segments: readonly PlaylistSegment[];
  /** The segment being written: its MSN, map, start time and the parts complete so far. */
  readonly open?: Omit<PlaylistSegment, 'duration' | 'uri'>;
  /** URI of the next part, announced with EXT-X-PRELOAD-HINT. */
  readonly preloadHint?: string;
  readonly renditionReports: readonly RenditionReport[];
  readonly ended: boolean;
  /** VOD or EVENT for a recording that keeps every segment (DVR / instant VOD). */
  readonly playlistType?: 'EVENT' | 'VOD';
}

export interface PlaylistView {
  /** A delta update (`_HLS_skip=YES`): segments older than CAN-SKIP-UNTIL are replaced by EXT-X-SKIP. */
  readonly deltaUpdate: boolean;
}

/** The playlist's EXT-X-SERVER-CONTROL figures, derived once from the targets. */
export function serverControl(targetDuration: number, partTarget: number): { partHoldBack: number; canSkipUntil: number } {
  // PART-HOLD-BACK at least 3 part targets (4.4.3.8); CAN-SKIP-UNTIL at least 6 target durations.
  return { partHoldBack: round3(3 * partTarget), canSkipUntil: 6 * targetDuration };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function seconds(n: number): string {
  return n.toFixed(5).replace(/0{1,2}$/, '');
}

function partLine(p: PlaylistPart): string {
  return `#EXT-X-PART:DURATION=${seconds(p.duration)},URI="${p.uri}"${p.independent ? ',INDEPENDENT=YES' : ''}`;
}

/** How many leading segments a delta update may skip: those wholly older than CAN-SKIP-UNTIL. */
export function skippableSegments(state: LivePlaylistState, canSkipUntil: number): number {
  let fromEnd = state.open ? state.open.parts.reduce((n, p) => n + p.duration, 0) : 0;
  let skippable = 0;
  for (let i = state.segments.length - 1; i >= 0; i--) {
    fromEnd += state.segments[i]!.duration;
    // Segments before i end at or before the Skip Boundary (tolerance: sums of decimal durations).
    if (fromEnd >= canSkipUntil - 1e-6) {
      skippable = i;
      break;
    }
  }
  // A skipped discontinuity would be lost to a client applying the delta: never skip past one.
  for (let i = 1; i < skippable; i++) if (state.segments[i]!.discontinuity) return i;
  return skippable;
}

export function writeLivePlaylist(state: LivePlaylistState, view: PlaylistView = { deltaUpdate: false }): string {
  const ll = state.partTarget !== undefined;
  const control = ll ? serverControl(state.targetDuration, state.partTarget!) : undefined;
  const skipped = view.deltaUpdate && control && !state.ended ? skippableSegments(state, control.canSkipUntil) : 0;
  const first = state.segments[0]?.msn ?? state.open?.msn ?? 0;
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${skipped ? 9 : 6}`, `#EXT-X-TARGETDURATION:${state.targetDuration}`];
  if (control && !state.ended) {
    lines.push(`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${seconds(control.canSkipUntil)},PART-HOLD-BACK=${seconds(control.partHoldBack)}`);
  }
  if (ll) lines.push(`#EXT-X-PART-INF:PART-TARGET=${seconds(state.partTarget!)}`);
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${first}`);
  if (state.discontinuitySequence) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${state.discontinuitySequence}`);
  if (state.playlistType) lines.push(`#EXT-X-PLAYLIST-TYPE:${state.playlistType}`);
  lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  if (skipped) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);

  // Parts are listed for the segments that start within three target durations of the end (4.4.4.9).
  const partWindow = 3 * state.targetDuration;
  let fromEnd = state.open ? state.open.parts.reduce((n, p) => n + p.duration, 0) : 0;
  const listParts = state.segments.map(() => false);
  // Also at most three segments with parts, the open one included: hls-parser (and so some
  // checkers) reads the rule as a count; listing fewer parts than the spec allows costs nothing.
  let slots = state.open?.parts.length ? 2 : 3;
  for (let i = state.segments.length - 1; i >= 0 && slots > 0; i--, slots--) {
    fromEnd += state.segments[i]!.duration;
    if (fromEnd > partWindow + 1e-6) break;
    listParts[i] = true;
  }

  let map = '';
  const header = (s: Omit<PlaylistSegment, 'duration' | 'uri'>, index: number) => {
    if (s.discontinuity && index > 0) lines.push('#EXT-X-DISCONTINUITY');
    if (s.mapUri !== map) {
      map = s.mapUri;
      lines.push(`#EXT-X-MAP:URI="${s.mapUri}"`);
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${s.programDateTime.toISOString()}`);
  };
  state.segments.forEach((s, i) => {
    if (i < skipped) return;
    header(s, i);
    if (ll && listParts[i]) for (const p of s.parts) lines.push(partLine(p));
    lines.push(`#EXTINF:${seconds(s.duration)},`, s.uri);
  });
  // The open segment shows only through its parts, and only once it has one.
  if (ll && state.open && state.open.parts.length && !state.ended) {
    header(state.open, state.segments.length);
    for (const p of state.open.parts) lines.push(partLine(p));
  }
  if (ll && state.preloadHint && !state.ended) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${state.preloadHint}"`);
  if (state.ended) lines.push('#EXT-X-ENDLIST');
  else for (const r of state.renditionReports) lines.push(`#EXT-X-RENDITION-REPORT:URI="${r.uri}",LAST-MSN=${r.lastMsn},LAST-PART=${r.lastPart}`);
  return lines.join('\n') + '\n';
}
