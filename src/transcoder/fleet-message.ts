import { SpherecastError } from '../shared/errors';
import { objectKeyProblem } from '../shared/object-key';

/**
 * The queue messages of a recording the fleet transcodes together (fleet-job.ts): one per video
 * chunk, one for the audio, and the stitch. They travel on the same queue as S3 event
 * notifications, so anyone who can send to the queue can forge one: every field is checked, with
 * explicit limits, before any of it names a key or a file.
 */
export const FLEET_MESSAGE_TYPE = 'spherecast.fleet';
export const FLEET_MESSAGE_VERSION = 1;
/** Our messages are a few hundred bytes; a source key is at most 1,024. */
export const MAX_FLEET_MESSAGE_BYTES = 4096;
/** Chunks of one recording: 10,000 one-second chunks is already 2.8 hours; chunks are far longer. */
export const MAX_CHUNKS = 10_000;
const MAX_BUCKET_CHARS = 255;
const MAX_ETAG_CHARS = 64;
/** An S3 ETag: hex MD5, or hex and `-<parts>` for a multipart upload, quoted or bare. */
export const FLEET_ETAG = /^"?[0-9a-fA-F]{1,64}(-[0-9]{1,5})?"?$/;

export type FleetTask = 'chunk' | 'audio' | 'stitch';

/** The recording, as the S3 event named it. */
export interface FleetSource {
  readonly bucket: string;
  /** The full key, as in the S3 event. */
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
}

export interface FleetMessage {
  readonly type: typeof FLEET_MESSAGE_TYPE;
  readonly version: typeof FLEET_MESSAGE_VERSION;
  readonly task: FleetTask;
  /** 32 hex characters (fleet-keys.ts fleetJobId). */
  readonly job: string;
  readonly source: FleetSource;
  /** chunk only: which chunk of the job's plan, 0-based. */
  readonly index?: number;
}

/** The body of a fleet message. Pure. */
export function fleetMessageBody(m: Omit<FleetMessage, 'type' | 'version'>): string {
  return JSON.stringify({
    type: FLEET_MESSAGE_TYPE,
    version: FLEET_MESSAGE_VERSION,
    task: m.task,
    job: m.job,
    source: m.source.etag === undefined ? { bucket: m.source.bucket, key: m.source.key, size: m.source.size } : m.source,
    ...(m.index !== undefined ? { index: m.index } : {}),
  });
}

/**
 * undefined when the body is not a fleet message (the caller reads it as an S3 event); the message
 * when it is one and valid; SC_ERR_BAD_MESSAGE with the reason when it says it is one but is not
 * valid. Only known fields are accepted. Pure.
 */
export function parseFleetMessage(body: string): FleetMessage | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(doc) || doc.type !== FLEET_MESSAGE_TYPE) return undefined;
  const bad = (why: string): SpherecastError => new SpherecastError('SC_ERR_BAD_MESSAGE', [`fleet message: ${why}`]);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_FLEET_MESSAGE_BYTES) throw bad(`${bytes} bytes, over the ${MAX_FLEET_MESSAGE_BYTES}-byte limit`);
  const extra = Object.keys(doc).filter((k) => !['type', 'version', 'task', 'job', 'source', 'index'].includes(k));
  if (extra.length > 0) throw bad(`unknown field ${JSON.stringify(extra[0].slice(0, 40))}`);
  if (doc.version !== FLEET_MESSAGE_VERSION) throw bad(`version ${JSON.stringify(doc.version)}, this worker reads ${FLEET_MESSAGE_VERSION}`);
  const task = doc.task;
  if (task !== 'chunk' && task !== 'audio' && task !== 'stitch') throw bad('task is not chunk, audio or stitch');
  if (typeof doc.job !== 'string' || !/^[0-9a-f]{32}$/.test(doc.job)) throw bad('job is not 32 hex characters');
  const source = parseSource(doc.source, bad);
  if (task === 'chunk') {
    const i = doc.index;
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= MAX_CHUNKS) throw bad(`index is not an integer from 0 to ${MAX_CHUNKS - 1}`);
    return { type: FLEET_MESSAGE_TYPE, version: FLEET_MESSAGE_VERSION, task, job: doc.job, source, index: i };
  }
  if (doc.index !== undefined) throw bad(`a ${task} message has no index`);
  return { type: FLEET_MESSAGE_TYPE, version: FLEET_MESSAGE_VERSION, task, job: doc.job, source };
}

function parseSource(v: unknown, bad: (why: string) => SpherecastError): FleetSource {
  if (!isObject(v)) throw bad('source is not an object');
  const extra = Object.keys(v).filter((k) => !['bucket', 'key', 'size', 'etag'].includes(k));
  if (extra.length > 0) throw bad(`unknown source field ${JSON.stringify(extra[0].slice(0, 40))}`);
  if (typeof v.bucket !== 'string' || v.bucket === '' || v.bucket.length > MAX_BUCKET_CHARS || !/^[A-Za-z0-9._-]+$/.test(v.bucket)) {
    throw bad('source.bucket is not a bucket name');
  }
  const keyProblem = objectKeyProblem(v.key);
  if (keyProblem) throw bad(`source.key: ${keyProblem}`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw bad('source.size is not a byte count');
  if (v.etag !== undefined && (typeof v.etag !== 'string' || v.etag.length > MAX_ETAG_CHARS || !FLEET_ETAG.test(v.etag))) {
    throw bad('source.etag is not an ETag');
  }
  return { bucket: v.bucket, key: v.key as string, size: v.size, ...(v.etag !== undefined ? { etag: v.etag as string } : {}) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
