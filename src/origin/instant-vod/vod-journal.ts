/**
 * Pure: the journal of an instant VOD being recorded, one JSON line per segment appended as each
 * is made. It is what a restart after a crash rebuilds the VOD playlist from, so it is read as
 * untrusted bytes: bounded line length and count, every field validated, a torn last line skipped.
 */

export interface JournalSegment {
  /** Media sequence number; the segment is `<msn>.m4s`. */
  readonly msn: number;
  /** Seconds. */
  readonly duration: number;
  /** The init segment it maps (`init-<n>.mp4`). */
  readonly init: string;
  /** Wall-clock time of its first frame (ms), for EXT-X-PROGRAM-DATE-TIME. */
  readonly pdt: number;
  readonly bytes: number;
}

export const JOURNAL_FILE = 'segments.jsonl';
const MAX_LINE = 512;
/** A week of 1 s segments: far beyond INSTANT_VOD_MAX_SIZE for any real bitrate. */
export const MAX_JOURNAL_SEGMENTS = 604_800;
const INIT_URI = /^init-\d{1,16}\.mp4$/;

export function journalLine(s: JournalSegment): string {
  return `${JSON.stringify({ msn: s.msn, duration: s.duration, init: s.init, pdt: s.pdt, bytes: s.bytes })}\n`;
}

function segmentOf(v: unknown): JournalSegment | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const { msn, duration, init, pdt, bytes } = o;
  if (!Number.isSafeInteger(msn) || (msn as number) < 0) return undefined;
  if (typeof duration !== 'number' || !(duration > 0 && duration <= 3600)) return undefined;
  if (typeof init !== 'string' || !INIT_URI.test(init)) return undefined;
  if (!Number.isSafeInteger(pdt) || (pdt as number) < 0) return undefined;
  if (!Number.isSafeInteger(bytes) || (bytes as number) < 0) return undefined;
  return { msn: msn as number, duration, init, pdt: pdt as number, bytes: bytes as number };
}

/** The segments a journal names, in order, with strictly increasing numbers; anything else is skipped. */
export function parseJournal(text: string): JournalSegment[] {
  const out: JournalSegment[] = [];
  let start = 0;
  while (start < text.length && out.length < MAX_JOURNAL_SEGMENTS) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (!line || line.length > MAX_LINE) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const s = segmentOf(parsed);
    if (s && (out.length === 0 || s.msn > out[out.length - 1]!.msn)) out.push(s);
  }
  return out;
}
