/**
 * Response times in log-spaced buckets (about 1 % apart, like HdrHistogram with two significant digits), so a
 * run of millions of requests keeps a few kilobytes per series instead of every sample. Percentiles are read
 * back as the upper edge of the bucket holding the rank, which is at most ~1 % above the true value.
 */
const MIN_MS = 0.01;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);

/** Bucket index of a value in milliseconds; bucket i holds (edge(i-1), edge(i)]. */
export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH - 1e-9);
}

/** Upper edge of bucket i in milliseconds. */
export function bucketEdge(index: number): number {
  return MIN_MS * GROWTH ** index;
}

/** Sparse form for JSON: [bucket index, count] pairs in index order. */
export type HistogramData = Array<[number, number]>;

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;

  record(ms: number): void {
    const v = Math.max(0, ms);
    const i = bucketOf(v);
    this.counts.set(i, (this.counts.get(i) ?? 0) + 1);
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Adds another histogram's counts (for totals and windows built from per-second buckets). */
  merge(other: LatencyHistogram): void {
    for (const [i, n] of other.counts) this.counts.set(i, (this.counts.get(i) ?? 0) + n);
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /**
   * The value at percentile p (0-100): the smallest bucket edge with at least p % of the samples at or below
   * it, never above the exact maximum. 0 when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.count));
    let seen = 0;
    for (const i of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(i)!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, bucketEdge(i)));
    }
    return this.max;
  }

  mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  toJSON(): HistogramData {
    return [...this.counts.entries()].sort((a, b) => a[0] - b[0]);
  }

  static fromJSON(data: HistogramData, stats: { sum?: number; min?: number; max?: number } = {}): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [i, n] of data) {
      h.counts.set(i, (h.counts.get(i) ?? 0) + n);
      h.count += n;
    }
    if (h.count) {
      const first = data.reduce((a, [i]) => Math.min(a, i), Infinity);
      const last = data.reduce((a, [i]) => Math.max(a, i), 0);
      h.min = stats.min ?? bucketEdge(first - 1);
      h.max = stats.max ?? bucketEdge(last);
      h.sum = stats.sum ?? 0;
    }
    return h;
  }
}
