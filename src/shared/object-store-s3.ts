import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { recordAwsCalls } from './aws-call-log';
import { contentTypeForKey } from './content-type';
import { SpherecastError, isScError } from './errors';
import { bareEtag, digestFile } from './file-digest';
import type { Logger } from './logger';
import { assertObjectKey, assertObjectPrefix } from './object-key';
import type { ObjectInfo, ObjectStore, PutOptions } from './object-store';

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** S3's lower bound for every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket, e.g. `recordings` (a trailing `/` is added). */
  readonly prefix?: string;
  readonly log: Logger;
  /** Defaults to the SDK's region chain (AWS_REGION, profile, IMDS); `us-east-1` when `endpoint` is set. */
  readonly region?: string;
  /** S3-compatible server, e.g. `http://127.0.0.1:4569`; implies path-style addressing. */
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  /** Defaults to the SDK's standard credential chain. */
  readonly credentials?: S3ClientConfig['credentials'];
  /** Multipart part size for putFile (files larger than this go multipart). */
  readonly partSize?: number;
  /** Parts uploaded in parallel. */
  readonly queueSize?: number;
  /** SDK attempts per request (exponential backoff with jitter between them, on throttling, 5xx and network errors). */
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
  readonly listPageSize?: number;
  /**
   * Compare ETags with local MD5s after upload (default true). Turn off only for buckets whose
   * ETags are not MD5s (SSE-KMS, SSE-C); size is still checked.
   */
  readonly verifyEtag?: boolean;
  /** AWS_CALL_LOG: append one JSON line per S3 call to this file (see aws-call-log.ts). */
  readonly callLog?: string;
}

/**
 * An S3 bucket (or a prefix in one) through @aws-sdk/client-s3. putFile streams through
 * lib-storage's Upload (one PUT up to `partSize`, multipart above) and then verifies with
 * HeadObject: the size, and the ETag against the MD5 (single part) or the MD5-of-part-MD5s
 * computed locally with the same part size (multipart). Some S3-compatible servers (s3rver)
 * give a multipart object the plain MD5 of its content; that is accepted too, as it proves the
 * same bytes.
 *
 * `requestChecksumCalculation: 'WHEN_REQUIRED'`: the SDK's default CRC32 trailer on streamed
 * bodies is stored as part of the object by s3rver 3.7.1 and some other S3-compatible servers;
 * integrity is covered by the MD5/ETag verification instead.
 */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly log: Logger;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly listPageSize: number;
  private readonly verifyEtag: boolean;

  constructor(opts: S3ObjectStoreOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.bucket)) {
      throw new SpherecastError('SC_ERR_CONFIG', [`S3 bucket name ${JSON.stringify(opts.bucket)} is not valid`]);
    }
    const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix) assertObjectKey(prefix);
    this.prefix = prefix ? `${prefix}/` : '';
    this.bucket = opts.bucket;
    this.location = `s3://${opts.bucket}${prefix ? `/${prefix}` : ''}`;
    this.log = opts.log.child({ component: 'object-store-s3', location: this.location });
    this.partSize = opts.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE) {
      throw new SpherecastError('SC_ERR_CONFIG', [`S3 part size ${this.partSize} is below the ${MIN_PART_SIZE}-byte minimum`]);
    }
    this.queueSize = opts.queueSize ?? 4;
    this.listPageSize = opts.listPageSize ?? 1000;
    this.verifyEtag = opts.verifyEtag ?? true;
    this.client = new S3Client({
      region: opts.region ?? (opts.endpoint ? 'us-east-1' : undefined),
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      credentials: opts.credentials,
      maxAttempts: opts.maxAttempts ?? 4,
      retryMode: 'standard',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: 10_000,
        requestTimeout: opts.requestTimeoutMs ?? 120_000,
      },
    });
    recordAwsCalls(this.client, 's3', opts.callLog);
  }

  /** The key S3 events carry for `key` (the prefix included). */
  bucketKey(key: string): string {
    return this.prefix + key;
  }

  async putFile(key: string, localPath: string, opts: PutOptions = {}): Promise<ObjectInfo> {
    assertObjectKey(key);
    const full = this.prefix + key;
    let digest;
    try {
      digest = await digestFile(localPath, this.partSize);
    } catch (err) {
      throw this.fail(`read ${localPath} for`, key, err);
    }
    const body = createReadStream(localPath);
    try {
      const upload = new Upload({
        client: this.client,
        partSize: this.partSize,
        queueSize: this.queueSize,
        leavePartsOnError: false,
        params: {
          Bucket: this.bucket,
          Key: full,
          Body: body,
          ContentType: opts.contentType ?? contentTypeForKey(key),
          CacheControl: opts.cacheControl,
        },
      });
      await upload.done();
    } catch (err) {
      throw this.fail('upload', key, err);
    } finally {
      // A failed upload stops reading midway; do not leak the descriptor.
      body.destroy();
    }
    const info = await this.head(key);
    this.verify(key, info, digest.size, digest.parts === 1 ? [digest.md5] : [digest.multipartEtag, digest.md5]);
    this.log.debug({ key, size: digest.size, parts: digest.parts }, 'uploaded');
    return info!;
  }

  async putBuffer(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<ObjectInfo> {
    assertObjectKey(key);
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    let md5: Buffer;
    try {
      md5 = await this.putObject(key, buf, opts);
    } catch (err) {
      throw this.fail('put', key, err);
    }
    const info = await this.head(key);
    this.verify(key, info, buf.length, [md5.toString('hex')]);
    return info!;
  }

  /**
   * A conditional PutObject (`If-None-Match: *`): S3 answers 412 when the key exists, and of racing
   * writers exactly one succeeds (a 409 ConditionalRequestConflict is another writer in flight:
   * lost too). The HEAD first spares a PUT when the object is already there, and is the whole check
   * on S3-compatible servers that ignore the condition (then racing writers may both get true).
   */
  async createBuffer(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<boolean> {
    assertObjectKey(key);
    if (await this.head(key)) return false;
    try {
      await this.putObject(key, typeof body === 'string' ? Buffer.from(body, 'utf8') : body, opts, '*');
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw this.fail('create', key, err);
    }
    return true;
  }

  /** One PutObject of a buffer with its MD5 (the server rejects a body that does not hash to it); returns the MD5. */
  private async putObject(key: string, buf: Buffer, opts: PutOptions, ifNoneMatch?: string): Promise<Buffer> {
    const md5 = createHash('md5').update(buf).digest();
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + key,
        Body: buf,
        ContentLength: buf.length,
        ContentMD5: md5.toString('base64'),
        ContentType: opts.contentType ?? contentTypeForKey(key),
        CacheControl: opts.cacheControl,
        IfNoneMatch: ifNoneMatch,
      }),
    );
    return md5;
  }

  async getToFile(key: string, localPath: string): Promise<ObjectInfo> {
    assertObjectKey(key);
    const tmpPath = `${localPath}.${randomBytes(6).toString('hex')}.part`;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      await mkdir(dirname(localPath), { recursive: true });
      const md5 = createHash('md5');
      let size = 0;
      await pipeline(
        res.Body as Readable,
        new Transform({
          transform(chunk: Buffer, _enc, cb) {
            md5.update(chunk);
            size += chunk.length;
            cb(null, chunk);
          },
        }),
        createWriteStream(tmpPath, { flags: 'wx' }),
      );
      const fh = await open(tmpPath, 'r');
      await fh.sync().finally(() => fh.close());
      const etag = bareEtag(res.ETag);
      const got = md5.digest('hex');
      if (res.ContentLength !== undefined && size !== res.ContentLength) {
        throw new SpherecastError('SC_ERR_STORE_VERIFY', [`${this.location}/${key}`, `downloaded ${size} of ${res.ContentLength} bytes`]);
      }
      if (this.verifyEtag && etag && /^[0-9a-f]{32}$/.test(etag) && etag !== got && !res.ServerSideEncryption?.startsWith('aws:kms')) {
        throw new SpherecastError('SC_ERR_STORE_VERIFY', [`${this.location}/${key}`, `downloaded md5 ${got} but ETag is ${etag}`]);
      }
      await rename(tmpPath, localPath);
      return { key, size, etag, lastModified: res.LastModified, contentType: res.ContentType };
    } catch (err) {
      await unlink(tmpPath).catch(() => undefined);
      if (isScError(err)) throw err;
      if (isNotFound(err)) throw new SpherecastError('SC_ERR_NOT_FOUND', [`${this.location}/${key}`]);
      throw this.fail('download', key, err);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    assertObjectKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return {
        key,
        size: res.ContentLength ?? 0,
        etag: bareEtag(res.ETag),
        lastModified: res.LastModified,
        contentType: res.ContentType,
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.fail('head', key, err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertObjectPrefix(prefix);
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: token,
            MaxKeys: this.listPageSize,
          }),
        );
      } catch (err) {
        throw this.fail('list', prefix, err);
      }
      for (const o of res.Contents ?? []) {
        if (!o.Key?.startsWith(this.prefix)) continue;
        yield { key: o.Key.slice(this.prefix.length), size: o.Size ?? 0, etag: bareEtag(o.ETag), lastModified: o.LastModified };
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw this.fail('delete', key, err);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Throws SC_ERR_STORE_VERIFY unless the stored object has `size` and one of the `etags`. */
  private verify(key: string, info: ObjectInfo | undefined, size: number, etags: string[]): void {
    const where = `${this.location}/${key}`;
    if (!info) throw new SpherecastError('SC_ERR_STORE_VERIFY', [where, 'object missing after upload']);
    if (info.size !== size) {
      throw new SpherecastError('SC_ERR_STORE_VERIFY', [where, `stored size ${info.size}, local size ${size}`]);
    }
    if (this.verifyEtag && !etags.includes(info.etag ?? '')) {
      throw new SpherecastError('SC_ERR_STORE_VERIFY', [where, `stored ETag ${info.etag ?? '(none)'}, expected ${etags.join(' or ')}`]);
    }
  }

  private fail(op: string, key: string, err: unknown): SpherecastError {
    if (isScError(err)) return err;
    const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = e?.$metadata?.httpStatusCode;
    const detail = [e?.name === 'Error' ? undefined : e?.name, e?.code && e.code !== e.name ? e.code : undefined, status ? `HTTP ${status}` : undefined]
      .filter(Boolean)
      .join(' ');
    return new SpherecastError('SC_ERR_STORE', [this.location, `${op} ${key}: ${detail ? `${detail}: ` : ''}${e?.message ?? String(err)}`], {
      cause: err,
    });
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (e?.name === 'NoSuchBucket') return false;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}
