/**
 * Where recordings go in (ingress) and renditions go out (egress). Implementations are chosen by
 * URL: `file:///path` (a local folder standing in for a bucket) or `s3://bucket/prefix`.
 * Keys are plain strings with `/` separators; implementations encode them as their medium needs.
 */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Quoted or bare hex MD5 for single-part objects; multipart ETags have a `-N` suffix. */
  readonly etag?: string;
  readonly lastModified?: Date;
  readonly contentType?: string;
}

export interface PutOptions {
  readonly contentType?: string;
  readonly cacheControl?: string;
}

export interface ObjectStore {
  /** Human-readable location, e.g. `s3://bucket/prefix` (no credentials). */
  readonly location: string;
  /** The bucket name S3 event notifications should carry (the folder name for local stores). */
  readonly bucket: string;
  /** The key as the bucket sees it (with the store's prefix), for event notifications. */
  bucketKey(key: string): string;
  /** Uploads a local file and verifies the stored copy (size, and ETag/checksum where possible). */
  putFile(key: string, localPath: string, opts?: PutOptions): Promise<ObjectInfo>;
  putBuffer(key: string, body: Buffer | string, opts?: PutOptions): Promise<ObjectInfo>;
  /**
   * Writes the object only if no object has the key yet (a write-once create): true when this call
   * created it, false when one was already there (its content is left as it was). Of several
   * callers racing on one key, exactly one gets true.
   */
  createBuffer(key: string, body: Buffer | string, opts?: PutOptions): Promise<boolean>;
  /** Downloads to a local file (written to a temporary name, then renamed). */
  getToFile(key: string, localPath: string): Promise<ObjectInfo>;
  /** undefined when the object does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
