/**
 * How a job is split into GOP-aligned chunks that several ffmpeg runs encode at once. Pure.
 *
 * Every chunk starts on a segment boundary (a multiple of the segment length, where every
 * rendition has a forced keyframe) and, but for the last, lasts a whole number of segments; so
 * each chunk's HLS segments are exactly the single run's segments and stitching them in order
 * gives one continuous playlist per rendition. Chunks are as equal as whole segments allow, there
 * are never more than `parallel` of them (they all run at once), and none is shorter than
 * `minChunkSeconds` (rounded up to whole segments), so a short recording stays one run.
 */
export interface Chunk {
  readonly index: number;
  /** Seconds into the source. */
  readonly start: number;
  /** Seconds; undefined for the last chunk, which runs to the end of the source. */
  readonly duration?: number;
}

export interface ChunkPlanOptions {
  /** Source duration in seconds (undefined when the container does not say: then one run). */
  readonly duration?: number;
  readonly segmentSeconds: number;
  /** Most chunks encoded at once; 1 = one run for the whole source. */
  readonly parallel: number;
  readonly minChunkSeconds: number;
}

export function planChunks(o: ChunkPlanOptions): Chunk[] {
  const whole: Chunk[] = [{ index: 0, start: 0 }];
  if (!o.duration || !(o.duration > 0) || o.parallel <= 1 || !(o.segmentSeconds > 0)) return whole;
  // A last sliver shorter than a millisecond is rounding, not a segment.
  const segments = Math.max(1, Math.ceil(o.duration / o.segmentSeconds - 1e-3));
  const minSegments = Math.max(1, Math.ceil(o.minChunkSeconds / o.segmentSeconds - 1e-9));
  const count = Math.min(o.parallel, Math.floor(segments / minSegments));
  if (count <= 1) return whole;
  const perChunk = Math.ceil(segments / count);
  const chunks: Chunk[] = [];
  for (let first = 0, index = 0; first < segments; first += perChunk, index++) {
    const last = first + perChunk >= segments;
    const start = first * o.segmentSeconds;
    chunks.push(last ? { index, start } : { index, start, duration: perChunk * o.segmentSeconds });
  }
  return chunks;
}
