/** Segments in a live window: at least two, whatever the settings. */
export function windowSegmentsOf(fragmentSeconds: number, playlistSeconds: number): number {
  return Math.max(2, Math.round(playlistSeconds / fragmentSeconds));
}

/**
 * The longest a live playlist of `windowSegments` segments could have been: each segment lasts
 * at most its target duration (RFC 8216 4.3.3.1, as rounded to an integer, so half a second more).
 */
export function longestWindowSeconds(windowSegments: number, targetDuration: number, listedSeconds: number): number {
  return Math.max(listedSeconds, windowSegments * (targetDuration + 0.5));
}

/** A segment as a media playlist lists it. */
export interface ListedSegment {
  readonly uri: string;
  /** Seconds (EXTINF). */
  readonly duration: number;
}

/** A segment that left the playlist, and the earliest time it may leave the disk. */
export interface RetiredSegment {
  readonly uri: string;
  readonly deleteAtMs: number;
}

/**
 * RFC 8216 6.2.2: a segment removed from a live playlist must stay available for its own duration
 * plus the duration of the longest playlist that contained it, counted from its removal. This
 * follows the playlist as it is rewritten and says, for each segment that left it, when that
 * time is over. Pure: the caller reads the playlists and owns the clock and the files.
 */
export class SegmentRetention {
  /** Segments in the playlist now: uri -> own duration and the longest playlist (s) it was in. */
  private readonly listed = new Map<string, { duration: number; longest: number }>();

  /**
   * `slackSeconds` is added to the spec's minimum: a reader learns of the removal later than the
   * file changed (the playlist watcher, HTTP caching of the playlist), never earlier.
   */
  constructor(private readonly slackSeconds: number) {}

  /**
   * The playlist as served now; returns the segments that left it since the last call.
   * `longestAtLeast` stands in for earlier versions this tracker never saw (a playlist left by
   * an earlier publish was longer while it was live than its final version may be).
   */
  observe(segments: readonly ListedSegment[], nowMs: number, longestAtLeast = 0): RetiredSegment[] {
    const total = Math.max(longestAtLeast, segments.reduce((s, seg) => s + seg.duration, 0));
    const present = new Set(segments.map((s) => s.uri));
    const retired: RetiredSegment[] = [];
    for (const [uri, s] of this.listed) {
      if (present.has(uri)) continue;
      this.listed.delete(uri);
      retired.push({ uri, deleteAtMs: nowMs + Math.ceil((s.duration + s.longest + this.slackSeconds) * 1000) });
    }
    for (const seg of segments) {
      const s = this.listed.get(seg.uri);
      if (s) s.longest = Math.max(s.longest, total);
      else this.listed.set(seg.uri, { duration: seg.duration, longest: total });
    }
    return retired;
  }

  /** Segments listed now (a republish hands them over to the next playlist). */
  get size(): number {
    return this.listed.size;
  }
}
