/** The least a new slab holds: a few parts of a small stream. */
const MIN_SLAB = 64 * 1024;

/**
 * Memory for one segment's parts, laid out back to back in a slab, so the whole segment is a view
 * of the slab instead of a concatenated copy, and a part costs no allocation of its own. (Profiled:
 * allocating each part's fragment and then the segment's copy was most of the packager's CPU,
 * 80 % in writeFragment and closeSegment, Node's medium ArrayBuffers being slow to allocate and
 * to collect.) A slab is sized from the segment before; when a part does not fit, the segment so
 * far moves to a new, larger slab (the views already handed out keep the old one alive). Nothing
 * written is ever written again: views stay valid for as long as anyone holds them.
 */
export class SegmentArena {
  private slab = Buffer.alloc(0);
  /** Where the open segment starts in the slab, and where its next part goes. */
  private start = 0;
  private used = 0;
  private lastSegment = 0;

  /** `size` bytes for the open segment's next part. */
  alloc(size: number): Buffer {
    if (this.used + size > this.slab.length) {
      const sofar = this.used - this.start;
      const slab = Buffer.allocUnsafe(Math.max(MIN_SLAB, Math.ceil(this.lastSegment * 1.5), 2 * (sofar + size)));
      this.slab.copy(slab, 0, this.start, this.used);
      this.slab = slab;
      this.start = 0;
      this.used = sofar;
    }
    const out = this.slab.subarray(this.used, this.used + size);
    this.used += size;
    return out;
  }

  /** The open segment's parts as one buffer (a view); the next part starts a new segment. */
  endSegment(): Buffer {
    const segment = this.slab.subarray(this.start, this.used);
    this.lastSegment = segment.length;
    this.start = this.used;
    return segment;
  }
}
