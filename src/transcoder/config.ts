import { availableParallelism } from 'node:os';
import { awsCallLogSetting } from '../shared/aws-call-log';
import { setting, type ConfigOf } from '../shared/config/config';
import { scError } from '../shared/errors';
import { bool, decimal, integer, json, list, oneOf, optionalHttpUrl, pattern, port, seconds, string } from '../shared/config/parsers';
import { X264_PRESETS } from '../shared/abr-ladder';
import { DEFAULT_360_LADDER, DEFAULT_LADDER, ladderToJson, parseLadder, VIDEO_CODECS, type Ladder } from './ladder';
import { parseRungTuning, tuningFor, type TuningRule } from './rung-tuning';
import { DEFAULT_MAX_PIXEL_RATE } from './source-limits';
import { VIEWPORT_RENDITIONS_LIMIT } from './viewport-renditions';
import { viewportCount } from '../shared/config/viewport-count';


/**
 * LADDER is kept as canonical JSON text so --help shows exactly what the setting takes; the
 * program reads it with ladderFromConfig. Accepts the JSON text (environment) or the array itself
 * (config file).
 */
const ladderText = (raw: unknown): string => {
  const parsed = json((v) => v)(raw);
  parseLadder(parsed);
  return JSON.stringify(parsed);
};

export function ladderFromConfig(text: string): Ladder {
  return parseLadder(JSON.parse(text));
}

const baseUrl = (raw: unknown): string => {
  const s = optionalHttpUrl(raw);
  if (s === '') throw new Error('must not be empty');
  return s.replace(/\/+$/, '');
};

export const transcoderSchema = {
  mediaDir: setting('MEDIA_DIR', './var', string, 'local media folder; scratch space for jobs is MEDIA_DIR/transcoder-scratch'),
  ingress: setting('INGRESS', '', string, 'where recordings are read from: a folder, file:///path or s3://bucket/prefix (empty = MEDIA_DIR/ingress)'),
  egress: setting('EGRESS', '', string, 'where renditions are published: a folder, file:///path or s3://bucket/prefix (empty = MEDIA_DIR/egress)'),
  queue: setting('QUEUE', '', string, 'job queue: a folder, file:///path or an SQS queue URL (empty = MEDIA_DIR/queue)'),
  ladder: setting('LADDER', JSON.stringify(ladderToJson(DEFAULT_LADDER)), ladderText, 'ABR ladder as JSON: [{"width":640,"height":360,"bitrate":"500k"},...,{"audio":"64k"}]; each box is fitted to the source aspect, never upscaled'),
  ladder360: setting('LADDER_360', JSON.stringify(ladderToJson(DEFAULT_360_LADDER)), ladderText, 'ABR ladder of 360 sources (any projection but flat: a 2:1 picture, or spherical metadata in the recording), as LADDER; the default is sized for 90 degree viewports showing a quarter of the width, up to 5760x2880'),
  vodCodecs: setting('VOD_CODECS', ['h264'] as readonly string[], list(oneOf(VIDEO_CODECS)), 'codecs every rung is encoded in (h264, hevc or h264,hevc; HEVC is hvc1 in fMP4 via libx265); a rung above H.264 level 4.2 (more than 8,704 macroblocks, e.g. 2560x1280 or any 4K) is HEVC only whatever this says'),
  vodFormat: setting('VOD_FORMAT', 'fmp4', oneOf(['fmp4', 'ts'] as const), 'VOD segment container: fmp4 (CMAF; the init segments carry the 360 boxes, HEVC possible) or ts (MPEG-TS, H.264 only: every rung stays H.264)'),
  pruneWithin: setting('LADDER_PRUNE', 0.15, decimal({ min: 0, max: 1 }), 'per-title pruning: after capping bitrates at the source\'s, a rung whose bitrate is within this fraction of the rung above it (or whose picture is the same size) is left out; 0 = keep every rung'),
  rungTuning: setting('RUNG_TUNING', 'auto', (raw) => (typeof raw === 'string' && raw.trim() === 'auto' ? 'auto' : JSON.stringify(json(parseRungTuning)(raw))), 'per-rung encoder settings over PRESET and THREADS: JSON rules [{"maxPixels":N,"preset":"faster","threads":1},...], the first whose maxPixels (width x height) a rendition fits under applies; auto = every rung on one thread per CPU (x264 would take 1.5 per CPU for each rendition); [] = none'),
  preset: setting('PRESET', 'veryfast', oneOf(X264_PRESETS), 'x264 preset for every rendition'),
  segmentSeconds: setting('SEGMENT_SECONDS', 10, seconds({ min: 1, max: 60 }), 'HLS segment length; also the GOP length (keyframes aligned across renditions)'),
  concurrency: setting('CONCURRENCY', 1, integer({ min: 1, max: 64 }), 'jobs transcoded at once'),
  threads: setting('THREADS', 0, integer({ min: 0, max: 256 }), 'ffmpeg threads per ffmpeg run (0 = ffmpeg decides)'),
  parallelChunks: setting('PARALLEL_CHUNKS', 0, integer({ min: 0, max: 64 }), 'split a job into up to this many GOP-aligned chunks encoded at once by separate ffmpeg runs (each straight to HLS, stitched into one playlist per rendition); 0 = one per 4 CPUs (os.availableParallelism() / 4, at least 1), 1 = one ffmpeg run per job'),
  minChunkSeconds: setting('MIN_CHUNK_SECONDS', 60, seconds({ min: 1, max: 86400 }), 'shortest chunk (rounded up to whole segments): shorter recordings get fewer chunks or one run'),
  chunkSeconds: setting('CHUNK_SECONDS', 120, seconds({ min: 0, max: 86400 }), 'fleet chunking: a recording longer than this becomes GOP-aligned chunk jobs on the queue, each at least this long in whole segments (the last may be shorter; a recording with room for only one stays a single job), which any worker takes, plus one audio job and a stitch that publishes the master; a chunk whose worker dies is taken again after VISIBILITY_TIMEOUT, so one chunk is the most work an interruption loses; 0 = every recording is one job (workers still take chunk jobs that others planned)'),
  visibilityTimeout: setting('VISIBILITY_TIMEOUT', 120, seconds({ min: 1, max: 43200 }), 'a received job stays hidden this long; running jobs extend it every third of it'),
  receiveWait: setting('RECEIVE_WAIT', 20, seconds({ min: 0, max: 20 }), 'queue long-poll wait'),
  maxReceiveCount: setting('MAX_RECEIVE_COUNT', 5, integer({ min: 1, max: 1000 }), 'local queue: receives before a failing job is dead-lettered (SQS: the redrive policy decides)'),
  probeTimeout: setting('PROBE_TIMEOUT', 30, seconds({ min: 0.1, max: 3600 }), 'wall-clock limit of ffprobe on a source; past it the job fails for good'),
  jobTimeoutMin: setting('JOB_TIMEOUT_MIN', 600, seconds({ min: 0.1 }), 'every job may encode at least this long by the wall clock (see JOB_TIMEOUT_FACTOR)'),
  jobTimeoutFactor: setting('JOB_TIMEOUT_FACTOR', 10, decimal({ min: 0 }), 'a job may encode for max(JOB_TIMEOUT_MIN, this x the source duration); past it ffmpeg is killed and the job fails for good (dead-lettered)'),
  maxSourceWidth: setting('MAX_SOURCE_WIDTH', 8192, integer({ min: 16, max: 65535 }), 'widest source accepted (checked before decoding; wider ones fail for good)'),
  maxSourceHeight: setting('MAX_SOURCE_HEIGHT', 8192, integer({ min: 16, max: 65535 }), 'tallest source accepted (checked before decoding)'),
  maxSourcePixelRate: setting('MAX_SOURCE_PIXEL_RATE', DEFAULT_MAX_PIXEL_RATE, integer({ min: 1 }), 'most source pixels per second accepted (width x height x fps; default 8K at 60 fps)'),
  deadLetterQueue: setting('DEAD_LETTER_QUEUE', '', optionalHttpUrl, 'SQS only: where jobs that can never succeed go at once (empty = the queue\'s RedrivePolicy deadLetterTargetArn); the local queue uses its dead/ folder'),
  notifySnsTopicArn: setting('NOTIFY_SNS_TOPIC_ARN', '', pattern(/^$|^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, 'an SNS topic ARN or empty'), 'SNS topic told of every finished job (succeeded, or failed for good); empty = none'),
  snsEndpoint: setting('SNS_ENDPOINT', '', optionalHttpUrl, 'SNS-compatible endpoint; empty = AWS'),
  notifyWebhookUrl: setting('NOTIFY_WEBHOOK_URL', '', optionalHttpUrl, 'URL POSTed a JSON notice of every finished job (succeeded, or failed for good); empty = none'),
  notifyWebhookSecret: setting('NOTIFY_WEBHOOK_SECRET', '', string, 'signs webhook notices: X-Spherecast-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body), X-Spherecast-Timestamp: unix seconds', { secret: true }),
  notifyAttempts: setting('NOTIFY_ATTEMPTS', 5, integer({ min: 1, max: 20 }), 'tries per notice (exponential backoff with jitter between them, on network errors, 429 and 5xx)'),
  notifyTimeout: setting('NOTIFY_TIMEOUT', 10, seconds({ min: 0.1, max: 300 }), 'time limit of one notice attempt'),
  vodBaseUrl: setting('VOD_BASE_URL', '', optionalHttpUrl, 'public URL of the egress store (e.g. https://cdn.example.com/vod) for masterUrl in notices; empty = the store\'s own URL'),
  posterTimeout: setting('POSTER_TIMEOUT', 30, seconds({ min: 0, max: 600 }), 'time limit of the ffmpeg run making each asset\'s poster (<master>.jpg: a rectilinear view of where a 360 video starts, one eye of stereo) beside its card (asset.json, read by the index); 0 = neither'),
  cubemap: setting('CUBEMAP', false, bool, 'also produce a 3x2 cubemap rendition set (v360) from 2:1 equirectangular sources, in MANIFEST_CUBEMAP.M3U8'),
  viewportRenditions: setting('VIEWPORT_RENDITIONS', 0, viewportCount, `K orientation-biased renditions of 2:1 mono equirect sources (0 = none, else 2 to ${VIEWPORT_RENDITIONS_LIMIT}): copies of the largest equirect rung, 360/K degrees of yaw apart, each with more bits (x264 region of interest) over the 90 + 360/K degrees a viewer facing it sees; listed in MANIFEST.viewport.json and MANIFEST_VIEWPORT.M3U8, never in MANIFEST.M3U8; the player picks one by where the viewer looks`),
  viewportBitrateShare: setting('VIEWPORT_BITRATE_SHARE', 0.4, decimal({ min: 0.05, max: 2 }), 'bitrate of each viewport rendition as a share of the largest rung\'s (npm run bench:viewport -- --abr measured the same viewport quality at 20-45 % of the bits, the higher share at the lowest bitrates)'),
  viewportQoffset: setting('VIEWPORT_QOFFSET', -0.3, decimal({ min: -1, max: 0 }), 'quantiser offset of the favoured band of a viewport rendition (ffmpeg addroi; x264 scales -1..0 to -51..0 QP)'),
  s3Endpoint: setting('S3_ENDPOINT', '', optionalHttpUrl, 'S3-compatible endpoint (path-style); empty = AWS'),
  sqsEndpoint: setting('SQS_ENDPOINT', '', optionalHttpUrl, 'SQS-compatible endpoint; empty = from the queue URL'),
  awsRegion: setting('AWS_REGION', '', string, 'AWS region (empty = the SDK default chain)'),
  awsCallLog: awsCallLogSetting,
  spotMonitor: setting('SPOT_MONITOR', 'auto', oneOf(['auto', 'on', 'off'] as const), 'poll EC2 metadata for a Spot interruption notice, then hand the running jobs back and exit (auto = only on EC2)'),
  imdsUrl: setting('IMDS_URL', 'http://169.254.169.254', baseUrl, 'instance metadata base URL (IMDSv2)'),
  spotPollInterval: setting('SPOT_POLL_INTERVAL', 5, seconds({ min: 0.05 }), 'how often the Spot interruption notice is polled'),
  metricsHost: setting('METRICS_HOST', '127.0.0.1', string, 'listen address of /metrics and /healthz'),
  metricsPort: setting('METRICS_PORT', 9103, port, 'port of /metrics and /healthz (0 picks a free port)'),
  ffmpegPath: setting('FFMPEG_PATH', 'ffmpeg', string, 'ffmpeg binary'),
  ffprobePath: setting('FFPROBE_PATH', 'ffprobe', string, 'ffprobe binary'),
  logLevel: setting('LOG_LEVEL', 'info', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), 'log level'),
};

export type TranscoderConfig = ConfigOf<typeof transcoderSchema>;

/**
 * PARALLEL_CHUNKS=0: one chunk per 4 CPUs. One ffmpeg run already keeps about that many busy (its
 * main thread decodes, filters and hands frames to the x264 threads: ~6.5 of 40 CPU seconds for the
 * 1080p ladder), while every chunk boundary costs a decode pre-roll, a second audio run and a
 * rate-control restart (measured on 2 CPUs: 2 chunks used 8% more CPU and lost 0.05 dB). Pure.
 */
export function autoParallelChunks(cpus: number): number {
  return Math.max(1, Math.floor(cpus / 4));
}

/**
 * RUNG_TUNING=auto: every rung on one x264 thread per CPU (what the reference's `-threads $(nproc)` gives each
 * output). ffmpeg 5.1 calls every encoder from its one main thread, so a rung on a single x264 thread is encoded
 * there, in line, and holds up decoding and the other rungs; with two or more threads x264 takes the frame and
 * returns. Measured on 2 CPUs, 30 s of 1080p to the six-rung ladder (npm run bench:transcode, quiet machine):
 * one thread up to 854x480 and 2 above took 26.2 s (45.5 CPU s); 2 threads for every rung 24.6 s (46.9 CPU s);
 * x264's own 1.5 per CPU 24.6 s (46.6 CPU s). The single-thread rule saves about 2 % CPU (useful where many
 * workers share the cores: bench:fleet sets one thread per worker) and costs 7 % of the wall time. Pure.
 */
export function autoRungTuning(cpus: number): TuningRule[] {
  return [{ maxPixels: Number.MAX_SAFE_INTEGER, threads: Math.max(1, cpus) }];
}

/** The encoding settings every job takes from the configuration (worker jobs and `transcode`). */
export function transcodeSettings(config: TranscoderConfig) {
  const rules = config.rungTuning === 'auto' ? autoRungTuning(availableParallelism()) : parseRungTuning(JSON.parse(config.rungTuning));
  const codecs = [...new Set(config.vodCodecs)] as Array<(typeof VIDEO_CODECS)[number]>;
  if (config.vodFormat === 'ts' && codecs.includes('hevc')) throw scError('SC_ERR_CONFIG', 'VOD_CODECS=hevc needs VOD_FORMAT=fmp4 (HEVC is carried as hvc1 in fMP4)');
  return {
    ladder: ladderFromConfig(config.ladder),
    ladder360: ladderFromConfig(config.ladder360),
    codecs,
    format: config.vodFormat,
    pruneWithin: config.pruneWithin,
    tuning: (r: { width: number; height: number }) => tuningFor(rules, r),
    segmentSeconds: config.segmentSeconds,
    preset: config.preset,
    threads: config.threads,
    parallelChunks: config.parallelChunks === 0 ? autoParallelChunks(availableParallelism()) : config.parallelChunks,
    minChunkSeconds: config.minChunkSeconds,
    cubemap: config.cubemap,
    viewport: { count: config.viewportRenditions, bitrateShare: config.viewportBitrateShare, qoffset: config.viewportQoffset },
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    sourceLimits: { maxWidth: config.maxSourceWidth, maxHeight: config.maxSourceHeight, maxPixelRate: config.maxSourcePixelRate },
    probeTimeoutSeconds: config.probeTimeout,
    jobTimeLimit: { minSeconds: config.jobTimeoutMin, perSourceSecond: config.jobTimeoutFactor },
  };
}
