import type { Clock } from '../../shared/clock';
import { writeFragment } from './fragment';
import { SegmentArena } from './segment-arena';
import type { CutPart } from './segmenter';
import { writeLivePlaylist, type LivePlaylistState, type PlaylistPart, type PlaylistSegment, type RenditionReport } from './media-playlist';
import { blockingDecision, type PlaylistDirectives, type PlaylistPosition } from './blocking-request';

export interface LiveRenditionOptions {
  /** Seconds of media the playlist lists (HLS_PLAYLIST_LENGTH, or HLS_DVR_WINDOW when longer). */
  readonly windowSeconds: number;
  /**
   * Seconds from the live edge whose segment bytes stay in memory (default: the whole window).
   * Older listed segments are answered from their copy on disk, so a long DVR window costs no memory.
   */
  readonly memorySeconds?: number;
  /** HLS_FRAGMENT: the target duration floor. */
  readonly segmentSeconds: number;
  /** Wall-clock time (ms) of media time 0, for EXT-X-PROGRAM-DATE-TIME. */
  readonly epochMs: number;
  readonly clock: Clock;
  /** Called with each complete segment (init URI and bytes) for recording and instant VOD. */
  readonly onSegment?: (segment: CompleteSegment) => void;
  /** Called with each part as it is made (the recorder writes them as they come). */
  readonly onPart?: (part: CompletePart) => void;
}

export interface CompletePart {
  /** Its moof+mdat: a segment's bytes are its parts' bytes in order. */
  readonly bytes: Buffer;
  /** The init segment it needs (a new one after a codec configuration change). */
  readonly initUri: string;
  readonly init: Buffer;
  /** The first part of a segment (segments start on a keyframe). */
  readonly startsSegment: boolean;
}

export interface CompleteSegment {
  readonly msn: number;
  readonly duration: number;
  readonly bytes: Buffer;
  readonly initUri: string;
  readonly programDateTime: Date;
}

interface StoredPart extends PlaylistPart {
  readonly bytes: Buffer;
}

interface StoredSegment extends PlaylistSegment {
  parts: StoredPart[];
  /** Undefined once the segment is older than memorySeconds: its copy on disk serves it. */
  bytes?: Buffer;
  readonly size: number;
}

interface OpenSegment {
  readonly msn: number;
  readonly mapUri: string;
  readonly discontinuity: boolean;
  readonly programDateTime: Date;
  readonly parts: StoredPart[];
}

interface Retired {
  readonly bytes: Buffer;
  readonly until: number;
}

export type PlaylistAnswer = { kind: 'playlist'; text: string } | { kind: 'too-far' } | { kind: 'timeout' };

interface Waiter {
  readonly ready: () => boolean;
  readonly wake: () => void;
}

const EMPTY = Buffer.alloc(0);

export const partUri = (msn: number, part: number) => `${msn}.${part}.m4s`;
export const segmentUri = (msn: number) => `${msn}.m4s`;
/** Named after the first segment that maps it, so a later publish of the same name never reuses a name. */
const initUri = (msn: number) => `init-${msn}.mp4`;

/**
 * One rendition of a live stream in fMP4 with LL-HLS (gohlslib's muxer_stream): its init
 * segments, the parts and segments in the playlist window, what left the window but must stay
 * fetchable, the playlist text, and the requests held until a part exists. Everything is kept in
 * memory; players are answered from here while the stream is live.
 */
export class LiveRendition {
  private readonly inits = new Map<string, Buffer>();
  private currentInit?: string;
  private initChanged = false;
  private readonly segments: StoredSegment[] = [];
  private open?: OpenSegment;
  private nextMsn: number;
  private fragmentSequence = 1;
  private readonly retired = new Map<string, Retired>();
  private readonly waiters = new Set<Waiter>();
  private partTarget = 0;
  private maxSegmentDuration = 0;
  private ended = false;
  private discontinuitySequence = 0;
  private cached?: { full: string; delta?: string; reports: string };
  /** The stream's other renditions, reported in this one's playlist (live ladder). */
  private reportPeers: () => readonly RenditionReport[] = () => [];
  /** The open segment's parts, written one after another, so the segment is their span, uncopied. */
  private readonly arena = new SegmentArena();

  constructor(private readonly opts: LiveRenditionOptions, firstMsn = 0) {
    this.nextMsn = firstMsn;
  }

  /** A new codec configuration: the next segment maps a new init segment after a discontinuity. */
  setInit(bytes: Buffer): void {
    if (this.currentInit && this.inits.get(this.currentInit)!.equals(bytes)) return;
    const uri = initUri(this.nextMsn);
    this.inits.set(uri, bytes);
    this.initChanged = this.currentInit !== undefined;
    this.currentInit = uri;
  }

  setPartTarget(seconds: number): void {
    this.partTarget = seconds;
  }

  get position(): PlaylistPosition {
    return { openMsn: this.open?.msn ?? this.nextMsn, openParts: this.open?.parts.length ?? 0, partTarget: this.partTarget, ended: this.ended };
  }

  /**
   * The last part now (LL-HLS 4.4.5.4's LAST-MSN and LAST-PART, as another rendition reports it):
   * the open segment's last part, or the last complete segment's; undefined before any part.
   */
  get lastPart(): { msn: number; part: number } | undefined {
    if (this.open?.parts.length) return { msn: this.open.msn, part: this.open.parts.length - 1 };
    const s = this.segments[this.segments.length - 1];
    return s ? { msn: s.msn, part: s.parts.length - 1 } : undefined;
  }

  /** Where this rendition learns of the stream's others (their URIs relative to its playlist). */
  setRenditionReports(peers: () => readonly RenditionReport[]): void {
    this.reportPeers = peers;
    this.cached = undefined;
  }

  get targetDuration(): number {
    return Math.max(Math.ceil(this.opts.segmentSeconds), Math.round(this.maxSegmentDuration));
  }

  addPart(cut: CutPart): void {
    if (this.ended || !this.currentInit) return;
    if (!this.open) {
      this.open = {
        msn: this.nextMsn++,
        mapUri: this.currentInit,
        discontinuity: this.initChanged,
        programDateTime: new Date(this.opts.epochMs + cut.start * 1000),
        parts: [],
      };
      if (this.initChanged) this.initChanged = false;
    }
    const bytes = writeFragment(this.fragmentSequence++, cut.tracks, (size) => this.arena.alloc(size));
    this.opts.onPart?.({ bytes, initUri: this.open.mapUri, init: this.inits.get(this.open.mapUri)!, startsSegment: this.open.parts.length === 0 });
    this.open.parts.push({ duration: cut.duration, uri: partUri(this.open.msn, this.open.parts.length), independent: cut.independent, bytes });
    if (cut.endsSegment) this.closeSegment();
    this.changed();
  }

  /** Ends the stream: the playlist gets EXT-X-ENDLIST and every held request is answered. */
  end(): void {
    if (this.open?.parts.length) this.closeSegment();
    this.open = undefined;
    this.ended = true;
    this.changed();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  private closeSegment(): void {
    const open = this.open!;
    this.open = undefined;
    const duration = open.parts.reduce((n, p) => n + p.duration, 0);
    const bytes = this.arena.endSegment();
    const segment: StoredSegment = { ...open, duration, uri: segmentUri(open.msn), bytes, size: bytes.length };
    this.segments.push(segment);
    this.maxSegmentDuration = Math.max(this.maxSegmentDuration, duration);
    this.opts.onSegment?.({ msn: open.msn, duration, bytes, initUri: open.mapUri, programDateTime: open.programDateTime });
    this.slideWindow();
  }

  /** Segments beyond the window leave the playlist but stay fetchable as long as RFC 8216 6.2.2 asks. */
  private slideWindow(): void {
    const now = this.opts.clock.now();
    let total = this.segments.reduce((n, s) => n + s.duration, 0);
    while (this.segments.length > 1 && total - this.segments[0]!.duration >= this.opts.windowSeconds) {
      const gone = this.segments.shift()!;
      total -= gone.duration;
      if (this.segments[0]!.discontinuity) this.discontinuitySequence++;
      // Already released from memory (a DVR window): the disk copy waits out its retention there.
      if (!gone.bytes) continue;
      // The segment: its duration plus the playlist's; its parts: three target durations (LL-HLS 6.2.2).
      const until = now + (gone.duration + total) * 1000;
      this.retired.set(gone.uri, { bytes: gone.bytes, until });
      const partsUntil = now + 3 * this.targetDuration * 1000;
      for (const p of gone.parts) this.retired.set(p.uri, { bytes: p.bytes, until: partsUntil });
    }
    for (const [uri, r] of this.retired) if (r.until < now) this.retired.delete(uri);
    this.releaseOld(total);
  }

  /** Segments further back than memorySeconds (and than the parts the playlist lists) leave memory. */
  private releaseOld(total: number): void {
    const keep = Math.max(this.opts.memorySeconds ?? this.opts.windowSeconds, 4 * this.targetDuration);
    let fromStart = 0;
    for (const s of this.segments) {
      if (total - fromStart <= keep) break;
      fromStart += s.duration;
      if (!s.bytes) continue;
      s.bytes = undefined;
      s.parts = s.parts.map((p) => ({ ...p, bytes: EMPTY }));
    }
  }

  /** Init segments by URI, for writing them beside the playlist on disk. */
  initSegment(uri: string): Buffer | undefined {
    return this.inits.get(uri);
  }

  /** URI and seconds of each segment the playlist lists now. */
  get listedSegments(): Array<{ uri: string; duration: number }> {
    return this.segments.map((s) => ({ uri: s.uri, duration: s.duration }));
  }

  /** Bytes and seconds of each segment in the playlist, for the master's measured BANDWIDTH. */
  get segmentSizes(): Array<{ bytes: number; duration: number }> {
    return this.segments.map((s) => ({ bytes: s.size, duration: s.duration }));
  }

  /**
   * The playlist as written to disk: plain HLS (no parts, no hints), which is what is served once
   * the stream has ended and the parts are gone.
   */
  diskPlaylistText(): string {
    const { partTarget: _p, preloadHint: _h, open: _o, ...plain } = this.state([]);
    return writeLivePlaylist({ ...plain, renditionReports: [] });
  }

  private state(reports: readonly RenditionReport[]): LivePlaylistState {
    return {
      targetDuration: this.targetDuration,
      ...(this.partTarget ? { partTarget: this.partTarget } : {}),
      discontinuitySequence: this.discontinuitySequence,
      segments: this.segments,
      ...(this.open ? { open: this.open } : {}),
      preloadHint: this.open ? partUri(this.open.msn, this.open.parts.length) : partUri(this.nextMsn, 0),
      renditionReports: reports,
      ended: this.ended,
    };
  }

  private changed(): void {
    this.cached = undefined;
    for (const w of [...this.waiters]) {
      if (w.ready()) {
        this.waiters.delete(w);
        w.wake();
      }
    }
  }

  /** The playlist text now (no blocking). */
  playlistText(deltaUpdate = false): string {
    // The other renditions move on their own: a changed report is a changed playlist.
    const reports = this.reportPeers();
    const key = reports.map((r) => `${r.uri} ${r.lastMsn} ${r.lastPart}`).join('\n');
    if (this.cached?.reports !== key) this.cached = { full: writeLivePlaylist(this.state(reports)), reports: key };
    if (!deltaUpdate) return this.cached.full;
    this.cached.delta ??= writeLivePlaylist(this.state(reports), { deltaUpdate: true });
    return this.cached.delta;
  }

  /** Whether the playlist holds anything a player can start with. */
  get hasMedia(): boolean {
    return this.segments.length > 0 || !!this.open?.parts.length;
  }

  /**
   * Answers a playlist request, holding a blocking one (6.2.5.2) until the segment or part it
   * asks for exists, at most `holdMs` (three target durations by the spec).
   */
  async playlist(d: PlaylistDirectives, holdMs: number, signal?: AbortSignal): Promise<PlaylistAnswer> {
    const decision = () => blockingDecision(d, this.position);
    const first = decision();
    if (first === 'too-far') return { kind: 'too-far' };
    if (first === 'wait' && !(await this.waitFor(() => decision() !== 'wait', holdMs, signal))) return { kind: 'timeout' };
    if (decision() === 'too-far') return { kind: 'too-far' };
    return { kind: 'playlist', text: this.playlistText(d.deltaUpdate) };
  }

  /**
   * An init segment, part or segment by its URI. The part named by the preload hint is held until
   * it is complete (the spec forbids trickling a part), at most `holdMs`.
   */
  async file(uri: string, holdMs: number, signal?: AbortSignal): Promise<Buffer | undefined> {
    const now = this.find(uri);
    if (now || this.ended) return now;
    const hinted = this.open ? partUri(this.open.msn, this.open.parts.length) : partUri(this.nextMsn, 0);
    if (uri !== hinted) return undefined;
    await this.waitFor(() => this.find(uri) !== undefined || this.ended, holdMs, signal);
    return this.find(uri);
  }

  private find(uri: string): Buffer | undefined {
    const init = this.inits.get(uri);
    if (init) return init;
    const m = /^(\d+)(?:\.(\d+))?\.m4s$/.exec(uri);
    if (m) {
      const msn = Number(m[1]);
      const seg = this.open?.msn === msn ? undefined : this.segments.find((s) => s.msn === msn);
      if (m[2] === undefined) {
        if (seg) return seg.bytes;
      } else {
        const parts = this.open?.msn === msn ? this.open.parts : seg?.parts;
        const part = parts?.[Number(m[2])];
        if (part?.bytes.length) return part.bytes;
      }
    }
    const r = this.retired.get(uri);
    return r && r.until >= this.opts.clock.now() ? r.bytes : undefined;
  }

  private waitFor(ready: () => boolean, holdMs: number, signal?: AbortSignal): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        resolve(ok);
      };
      const onAbort = () => done(false);
      const waiter: Waiter = { ready, wake: () => done(true) };
      const timer = setTimeout(() => done(ready()), holdMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Stops holding requests (each is answered as things stand). */
  close(): void {
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      w.wake();
    }
  }
}
