import { fitToBox, type EncodedRendition, type VideoRung } from '../shared/abr-ladder';

/**
 * A rung of one stream's live ladder; its name (`<height>p`, or `yaw-<degrees>` for a viewport rung) is also its
 * folder's suffix. A viewport rung (live-viewport-plan.ts) has the `yaw` it favours and its addroi filters (`roi`).
 */
export type LadderRung = EncodedRendition & { readonly yaw?: number; readonly roi?: string };

/** As the transcoder's renditions: peaks up to 10 % over the target, a VBV of one second... */
const MAXRATE_FACTOR = 1.1;
/** ...rather than its two: a live rendition's buffer is also its latency. */
const BUFSIZE_FACTOR = 1;

/** Pure: the peak rate and VBV size of a live rendition (ladder or viewport) encoded at `bitrate`. */
export function liveRateControl(bitrate: number): { maxrate: number; bufsize: number } {
  return { maxrate: Math.round(bitrate * MAXRATE_FACTOR), bufsize: Math.round(bitrate * BUFSIZE_FACTOR) };
}

/**
 * Pure: the renditions LIVE_LADDER gives one source. Each box is fitted to the source's aspect
 * (so a 2:1 equirectangular source stays 2:1), largest first. A rung as large as the source or
 * larger in either side is left out: the source is already the top rendition, and the ladder
 * never upscales. Two boxes that fit to the same size give one rendition, the higher bitrate.
 */
export function planLiveLadder(source: { width: number; height: number }, rungs: readonly VideoRung[]): LadderRung[] {
  if (!(source.width > 0 && source.height > 0)) return [];
  const bySize = new Map<string, LadderRung>();
  for (const rung of rungs) {
    const { width, height } = fitToBox(source, rung);
    if (width >= source.width || height >= source.height) continue;
    const key = `${width}x${height}`;
    const had = bySize.get(key);
    if (had && had.bitrate >= rung.bitrate) continue;
    bySize.set(key, { name: '', width, height, bitrate: rung.bitrate, ...liveRateControl(rung.bitrate) });
  }
  const names = new Set<string>();
  return [...bySize.values()]
    .sort((a, b) => b.width * b.height - a.width * a.height)
    .map((r) => {
      let name = `${r.height}p`;
      for (let i = 2; names.has(name); i++) name = `${r.height}p-${i}`;
      names.add(name);
      return { ...r, name };
    });
}
