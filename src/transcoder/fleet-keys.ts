import { createHash } from 'node:crypto';
import type { FleetSource } from './fleet-message';

/**
 * Where a fleet job keeps its state in the egress store, beside the asset it makes. Everything the
 * fleet coordinates through is one of these objects (and the queue): no other service.
 *
 *   <asset>/.fleet/<job>/job.json          the plan (renditions, chunks), written before any chunk is queued
 *   <asset>/.fleet/<job>/chunk-00003.json  chunk 3's result, written after all its segments are stored
 *   <asset>/.fleet/<job>/audio.json        the audio's result (and the poster's name)
 *   <asset>/.fleet/<job>/published         write-once: the stitch that creates it publishes the master
 *   <asset>/.fleet/<job>/done              written after the master, the card and the notice
 */
export const FLEET_DIR = '.fleet';

/**
 * A job's id: the same for every delivery of one S3 event (so a planner that died and runs again
 * plans the same job, into the same keys), different for a new upload to the same key (a new ETag,
 * size or event time). Pure.
 */
export function fleetJobId(source: FleetSource, eventTime: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([source.bucket, source.key, source.size, source.etag ?? '', eventTime ?? '']))
    .digest('hex')
    .slice(0, 32);
}

export interface FleetKeys {
  readonly plan: string;
  chunkResult(index: number): string;
  readonly audioResult: string;
  readonly published: string;
  readonly done: string;
}

/** The keys of job `job` of asset `asset`. Pure. */
export function fleetKeys(asset: string, job: string): FleetKeys {
  const dir = `${asset}/${FLEET_DIR}/${job}`;
  return {
    plan: `${dir}/job.json`,
    chunkResult: (index) => `${dir}/chunk-${String(index).padStart(5, '0')}.json`,
    audioResult: `${dir}/audio.json`,
    published: `${dir}/published`,
    done: `${dir}/done`,
  };
}

/** An init segment's name from its bytes: chunks whose inits are equal share one object. Pure. */
export function initSegmentName(init: Buffer): string {
  return `init-${createHash('sha256').update(init).digest('hex').slice(0, 16)}.mp4`;
}
