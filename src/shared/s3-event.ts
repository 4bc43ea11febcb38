import { SpherecastError } from './errors';

/**
 * The S3 event notification S3 puts on SQS when an object is created, built locally so the
 * transcoder has one code path (local queue or SQS), and parsed on the consumer side.
 * Format: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
export interface S3PutEventInput {
  readonly bucket: string;
  /** The object key as stored (not encoded). */
  readonly key: string;
  readonly size: number;
  /** Hex MD5 / ETag, quoted or bare. */
  readonly etag?: string;
  /** Milliseconds since the epoch; the event time and sequencer derive from it. */
  readonly time?: number;
  readonly region?: string;
  readonly configurationId?: string;
}

export interface S3EventObject {
  readonly bucket: string;
  /** Decoded key (`+` is a space, %XX decoded). */
  readonly key: string;
  readonly size: number;
  readonly eventName: string;
  readonly etag?: string;
  readonly eventTime?: string;
}

export type S3Event = { readonly kind: 'test' } | { readonly kind: 'objects'; readonly objects: S3EventObject[] };

/**
 * Encodes a key the way S3 writes it into event notifications: form encoding, so a space is `+`
 * and a literal `+` is `%2B`; `/` stays as is; everything else as encodeURIComponent does. Pure.
 */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

/** Inverse of encodeS3EventKey (and of what S3 sends). Throws SC_ERR_BAD_MESSAGE on bad escapes. Pure. */
export function decodeS3EventKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new SpherecastError('SC_ERR_BAD_MESSAGE', [`object key ${JSON.stringify(encoded)} has an invalid %-escape`]);
  }
}

/** The notification body S3 sends to SQS for `ObjectCreated:Put`, as a JSON string. Pure. */
export function buildS3PutEvent(input: S3PutEventInput): string {
  const time = input.time ?? Date.now();
  const region = input.region ?? 'us-east-1';
  // S3's sequencer is an opaque hex string that orders events for one key; time in µs does that.
  const sequencer = (BigInt(Math.floor(time)) * 1000n).toString(16).toUpperCase().padStart(18, '0');
  const etag = (input.etag ?? '').replace(/^"|"$/g, '');
  const event = {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date(time).toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'spherecast' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': sequencer.slice(-16), 'x-amz-id-2': `spherecast/${sequencer}` },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: input.configurationId ?? 'spherecast-ingress',
          bucket: {
            name: input.bucket,
            ownerIdentity: { principalId: 'spherecast' },
            arn: `arn:aws:s3:::${input.bucket}`,
          },
          object: {
            key: encodeS3EventKey(input.key),
            size: input.size,
            eTag: etag,
            sequencer,
          },
        },
      },
    ],
  };
  return JSON.stringify(event);
}

/**
 * Parses an SQS message body holding an S3 notification: the `s3:TestEvent` S3 sends when the
 * notification is configured, or Records. ObjectCreated records become objects; other records
 * (ObjectRemoved and the like) are skipped. An S3 -> SNS -> SQS body is unwrapped. Anything
 * malformed throws SC_ERR_BAD_MESSAGE with the reason. Pure.
 */
export function parseS3Event(body: string): S3Event {
  const bad = (why: string): SpherecastError => new SpherecastError('SC_ERR_BAD_MESSAGE', [why]);
  if (typeof body !== 'string') throw bad('body is not a string');
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw bad(`body is not JSON (${(err as Error).message}): ${preview(body)}`);
  }
  if (isObject(doc) && doc.Type === 'Notification' && typeof doc.Message === 'string') {
    return parseS3Event(doc.Message);
  }
  if (!isObject(doc)) throw bad(`body is not a JSON object: ${preview(body)}`);
  if (doc.Event === 's3:TestEvent') return { kind: 'test' };
  if (!Array.isArray(doc.Records)) throw bad(`no Records array: ${preview(body)}`);
  if (doc.Records.length === 0) throw bad('Records is empty');
  const objects: S3EventObject[] = [];
  doc.Records.forEach((rec: unknown, i: number) => {
    const where = `Records[${i}]`;
    if (!isObject(rec)) throw bad(`${where} is not an object`);
    if (rec.eventSource !== 'aws:s3') throw bad(`${where}.eventSource is ${JSON.stringify(rec.eventSource)}, not "aws:s3"`);
    if (typeof rec.eventName !== 'string') throw bad(`${where}.eventName is missing`);
    const s3 = rec.s3;
    if (!isObject(s3)) throw bad(`${where}.s3 is missing`);
    if (!isObject(s3.bucket) || typeof s3.bucket.name !== 'string' || s3.bucket.name === '') {
      throw bad(`${where}.s3.bucket.name is missing`);
    }
    if (!isObject(s3.object) || typeof s3.object.key !== 'string' || s3.object.key === '') {
      throw bad(`${where}.s3.object.key is missing`);
    }
    const eventName = rec.eventName.replace(/^s3:/, '');
    if (!eventName.startsWith('ObjectCreated:')) return;
    const size = s3.object.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw bad(`${where}.s3.object.size is ${JSON.stringify(size)}, not a byte count`);
    }
    objects.push({
      bucket: s3.bucket.name,
      key: decodeS3EventKey(s3.object.key),
      size,
      eventName,
      etag: typeof s3.object.eTag === 'string' ? s3.object.eTag : undefined,
      eventTime: typeof rec.eventTime === 'string' ? rec.eventTime : undefined,
    });
  });
  return { kind: 'objects', objects };
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function preview(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);
}
