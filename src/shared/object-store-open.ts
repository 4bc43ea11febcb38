import { SpherecastError } from './errors';
import type { Logger } from './logger';
import { localFolderOf } from './local-folder';
import type { ObjectStore } from './object-store';
import { LocalObjectStore } from './object-store-local';
import { S3ObjectStore } from './object-store-s3';

export interface OpenObjectStoreOptions {
  readonly log: Logger;
  /** S3_ENDPOINT: an S3-compatible server; implies path-style addressing. */
  readonly s3Endpoint?: string;
  readonly region?: string;
  /** Multipart part size for S3 uploads. */
  readonly partSize?: number;
  /** AWS_CALL_LOG: record every S3 call in this file. */
  readonly callLog?: string;
}

/**
 * `file:///abs/path` or a plain path -> LocalObjectStore; `s3://bucket[/prefix]` -> S3ObjectStore
 * (standard AWS credential and region chain). Anything else is an SC_ERR_CONFIG naming the URL.
 */
export function openObjectStore(url: string, opts: OpenObjectStoreOptions): ObjectStore {
  const bad = (why: string): SpherecastError =>
    new SpherecastError('SC_ERR_CONFIG', [`object store URL ${JSON.stringify(url)} ${why}; use file:///absolute/path, a path, or s3://bucket/prefix`]);
  if (typeof url !== 'string' || url.trim() === '') throw bad('is empty');
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : decodeURIComponent(rest.slice(slash + 1));
    if (!bucket) throw bad('names no bucket');
    try {
      return new S3ObjectStore({ bucket, prefix, log: opts.log, endpoint: opts.s3Endpoint, region: opts.region, partSize: opts.partSize, callLog: opts.callLog });
    } catch (err) {
      throw bad(`is not usable: ${(err as Error).message}`);
    }
  }
  return new LocalObjectStore({ root: localFolderOf(url, bad), log: opts.log });
}
