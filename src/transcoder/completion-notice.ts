import type { MeasuredRendition } from './rendition-measure';

/**
 * What subscribers (SNS topic, webhook) are told when a job is over: once when it succeeded, once
 * when it failed for good (a failure that will be retried is not over and sends nothing).
 */
export interface CompletionNotice {
  readonly type: 'spherecast.transcode';
  readonly version: 1;
  readonly status: 'succeeded' | 'failed';
  /** Egress folder of the asset. */
  readonly asset: string;
  readonly source: { readonly bucket: string; readonly key: string };
  /** Succeeded only: the main master playlist's key in the egress store and its URL. */
  readonly master?: { readonly key: string; readonly url: string };
  /** Succeeded only: every master playlist key (the main one first; the cubemap one if made). */
  readonly masters?: readonly string[];
  readonly renditions?: ReadonlyArray<{
    readonly name: string;
    readonly kind: 'video' | 'audio';
    readonly codec: string;
    readonly width?: number;
    readonly height?: number;
    readonly bandwidth: number;
    readonly averageBandwidth: number;
  }>;
  /** Seconds of source, when known. */
  readonly duration?: number;
  /** Failed only: the SC_ERR_* code and why. */
  readonly code?: string;
  readonly reason?: string;
  /** ISO 8601. */
  readonly time: string;
}

/** The URL of an egress key: under VOD_BASE_URL when set, else under the store's own URL. Pure. */
export function egressUrl(key: string, opts: { vodBaseUrl?: string; storeLocation: string }): string {
  const base = (opts.vodBaseUrl || opts.storeLocation).replace(/\/+$/, '');
  return `${base}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** A success notice. Pure. */
export function succeededNotice(o: {
  asset: string;
  source: { bucket: string; key: string };
  masters: readonly string[];
  renditions: readonly MeasuredRendition[];
  duration?: number;
  vodBaseUrl?: string;
  storeLocation: string;
  time: Date;
}): CompletionNotice {
  const keys = o.masters.map((m) => `${o.asset}/${m}`);
  return {
    type: 'spherecast.transcode',
    version: 1,
    status: 'succeeded',
    asset: o.asset,
    source: o.source,
    master: { key: keys[0], url: egressUrl(keys[0], o) },
    masters: keys,
    renditions: o.renditions.map((r) => ({
      name: r.name,
      kind: r.kind,
      codec: r.codec,
      ...(r.width !== undefined ? { width: r.width, height: r.height } : {}),
      bandwidth: r.peakBandwidth,
      averageBandwidth: r.averageBandwidth,
    })),
    duration: o.duration,
    time: o.time.toISOString(),
  };
}

/** A notice of a job that failed for good. Pure. */
export function failedNotice(o: { asset: string; source: { bucket: string; key: string }; code?: string; reason: string; time: Date }): CompletionNotice {
  return {
    type: 'spherecast.transcode',
    version: 1,
    status: 'failed',
    asset: o.asset,
    source: o.source,
    code: o.code,
    reason: o.reason,
    time: o.time.toISOString(),
  };
}
