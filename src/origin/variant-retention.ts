import { join } from 'node:path';
import type { Clock } from '../shared/clock';
import type { DelayedUnlink } from './delayed-unlink';
import { leftoverLongestSeconds, orphanRetentionMs, readVariantLeftovers } from './hls-leftovers';
import { SegmentRetention, type ListedSegment } from './segment-retention';

export interface VariantRetentionOptions {
  readonly variantDir: string;
  readonly fragmentSeconds: number;
  readonly playlistSeconds: number;
  readonly deleter: DelayedUnlink;
  readonly clock: Clock;
}

/**
 * The segment files of one variant folder, whichever packager writes them: what an earlier
 * publish left is adopted (its segments leave when this publish's playlist replaces its own), and
 * each segment that leaves the live playlist is deleted once RFC 8216 6.2.2 lets it go.
 */
export class VariantRetention {
  // One target duration beyond the spec: players learn of a removal up to a playlist fetch (and its cache lifetime) late.
  private readonly retention: SegmentRetention;

  constructor(private readonly opts: VariantRetentionOptions) {
    this.retention = new SegmentRetention(opts.fragmentSeconds);
  }

  /** Adopts an earlier publish's files; returns the first segment number no file uses. */
  async adoptLeftovers(): Promise<number> {
    const o = this.opts;
    const old = await readVariantLeftovers(o.variantDir);
    const now = o.clock.now();
    if (old.playlist) this.retention.observe(old.playlist.segments, now, leftoverLongestSeconds(old.playlist, o));
    const orphansAt = now + orphanRetentionMs(old.playlist, o, o.fragmentSeconds);
    for (const f of old.orphans) o.deleter.schedule(join(o.variantDir, f), orphansAt);
    return old.nextNumber;
  }

  /** The segments the playlist lists now; those that left it are scheduled for deletion. */
  observe(segments: readonly ListedSegment[]): void {
    for (const r of this.retention.observe(segments, this.opts.clock.now())) this.opts.deleter.schedule(join(this.opts.variantDir, r.uri), r.deleteAtMs);
  }
}
