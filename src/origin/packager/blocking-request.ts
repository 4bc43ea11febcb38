/**
 * Pure: the LL-HLS delivery directives of a playlist request (draft-pantos-hls-rfc8216bis
 * 6.2.5.1-6.2.5.2): `_HLS_msn`, `_HLS_part` and `_HLS_skip`, validated, and whether the playlist
 * can satisfy a blocking request now, must hold it, or must refuse it.
 */

export interface PlaylistDirectives {
  /** Block until this media sequence number (and part) is in the playlist. */
  readonly msn?: number;
  readonly part?: number;
  /** `_HLS_skip=YES`: a delta update. (`v2` also skips date ranges; we write none.) */
  readonly deltaUpdate: boolean;
}

export type ParsedDirectives = { ok: true; directives: PlaylistDirectives } | { ok: false; reason: string };

const DECIMAL_INTEGER = /^(0|[1-9][0-9]{0,15})$/;

/** `query` holds the raw values of the request's query parameters (the first of each name). */
export function parseDirectives(query: { readonly get: (name: string) => string | null }): ParsedDirectives {
  const msnText = query.get('_HLS_msn');
  const partText = query.get('_HLS_part');
  const skipText = query.get('_HLS_skip');
  if (partText !== null && msnText === null) return { ok: false, reason: '_HLS_part without _HLS_msn' };
  if (msnText !== null && !DECIMAL_INTEGER.test(msnText)) return { ok: false, reason: `_HLS_msn=${msnText.slice(0, 20)} is not a decimal integer` };
  if (partText !== null && !DECIMAL_INTEGER.test(partText)) return { ok: false, reason: `_HLS_part=${partText.slice(0, 20)} is not a decimal integer` };
  if (skipText !== null && skipText !== 'YES' && skipText !== 'v2') return { ok: false, reason: `_HLS_skip=${skipText.slice(0, 20)} is neither YES nor v2` };
  return {
    ok: true,
    directives: {
      ...(msnText !== null ? { msn: Number(msnText) } : {}),
      ...(partText !== null ? { part: Number(partText) } : {}),
      deltaUpdate: skipText !== null,
    },
  };
}

/** Where the rendition's playlist stands: the segment being written and its complete parts. */
export interface PlaylistPosition {
  readonly openMsn: number;
  readonly openParts: number;
  /** Seconds. */
  readonly partTarget: number;
  readonly ended: boolean;
}

export type BlockingDecision = 'ready' | 'wait' | 'too-far';

/**
 * 6.2.5.2: a request for segment M is satisfied once M is complete; for part P of M once that part
 * (or anything after segment M) exists. Further ahead than two segments past the last, or than the
 * Advance Part Limit past the last part, is refused at once.
 */
export function blockingDecision(d: PlaylistDirectives, pos: PlaylistPosition): BlockingDecision {
  if (d.msn === undefined || pos.ended) return 'ready';
  const lastMsn = pos.openMsn - 1;
  if (d.msn > lastMsn + 2) return 'too-far';
  if (d.part === undefined) return d.msn <= lastMsn ? 'ready' : 'wait';
  if (d.msn < pos.openMsn) return 'ready';
  if (d.msn === pos.openMsn && d.part < pos.openParts) return 'ready';
  const advancePartLimit = pos.partTarget < 1 ? Math.floor(3 / pos.partTarget) : 3;
  // Parts of a segment that is not open yet count from the open segment's end.
  const partsAhead = d.msn === pos.openMsn ? d.part - (pos.openParts - 1) : d.part + 1;
  return partsAhead > advancePartLimit ? 'too-far' : 'wait';
}
