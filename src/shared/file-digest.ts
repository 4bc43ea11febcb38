import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * What S3 would report as the ETag of a file, computed locally in one pass so an upload can be
 * verified against it: the plain MD5 for a single-part upload, and for a multipart upload the MD5
 * of the concatenated binary part MD5s followed by `-<number of parts>`.
 */
export interface FileDigest {
  readonly size: number;
  /** Hex MD5 of the whole file. */
  readonly md5: string;
  /** The ETag S3 gives a multipart upload with `partSize` parts; equals `md5` when one part. */
  readonly multipartEtag: string;
  readonly parts: number;
}

/** MD5-of-MD5s ETag from the binary part digests. Pure. */
export function multipartEtagOf(partMd5s: readonly Buffer[]): string {
  const h = createHash('md5');
  for (const d of partMd5s) h.update(d);
  return `${h.digest('hex')}-${partMd5s.length}`;
}

/** Splits like @aws-sdk/lib-storage: full parts of `partSize`, a shorter last one; one part when size <= partSize. */
export async function digestFile(path: string, partSize: number): Promise<FileDigest> {
  const whole = createHash('md5');
  const partMd5s: Buffer[] = [];
  let part: Hash = createHash('md5');
  let inPart = 0;
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    size += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      if (inPart === partSize) {
        partMd5s.push(part.digest());
        part = createHash('md5');
        inPart = 0;
      }
      const n = Math.min(partSize - inPart, chunk.length - off);
      part.update(chunk.subarray(off, off + n));
      inPart += n;
      off += n;
    }
  }
  partMd5s.push(part.digest());
  const md5 = whole.digest('hex');
  return {
    size,
    md5,
    parts: partMd5s.length,
    multipartEtag: partMd5s.length === 1 ? md5 : multipartEtagOf(partMd5s),
  };
}

/** `"abc"` or `abc` -> `abc`. Pure. */
export function bareEtag(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : etag.replace(/^"|"$/g, '');
}
