import { awsCallLogSetting } from '../shared/aws-call-log';
import { playbackSettings } from '../shared/playback/playback-settings';
import { setting } from '../shared/config/config';
import { bool, decimal, integer, json, list, oneOf, optionalHttpUrl, pattern, port, seconds, size, string } from '../shared/config/parsers';
import { parseVideoRungs, X264_PRESETS } from '../shared/abr-ladder';
import { viewportCount } from '../shared/config/viewport-count';
import { VIEWPORT_RENDITIONS_MAX } from '../shared/layout/viewport-listing';

/** LIVE_LADDER as canonical JSON text ('' = off), so --help shows what it takes; read with parseVideoRungs. */
const liveLadderText = (raw: unknown): string => {
  if (raw === '' || raw === undefined) return '';
  const parsed = json((v) => v)(raw);
  parseVideoRungs(parsed);
  return JSON.stringify(parsed);
};

/** Every origin setting: default, environment variable, help line. RTMP_PORT, HTTP_PORT, MEDIA_DIR, HLS_FRAGMENT and HLS_PLAYLIST_LENGTH are a contract. */
export const originSchema = {
  host: setting('HOST', '0.0.0.0', string, 'address the RTMP and HTTP listeners bind to'),
  rtmpPort: setting('RTMP_PORT', 1935, port, 'RTMP ingest port'),
  httpPort: setting('HTTP_PORT', 8080, port, 'HTTP port for /hls, /stat, /control, /healthz, /metrics'),
  mediaDir: setting('MEDIA_DIR', './var', string, 'working folder; live HLS is written under MEDIA_DIR/hls'),
  rtmpApp: setting('RTMP_APP', 'live', pattern(/^[A-Za-z0-9_-]{1,64}$/, 'an RTMP application name'), 'the RTMP application publishers use (rtmp://host/APP/NAME)'),
  hlsFragment: setting('HLS_FRAGMENT', 2, seconds({ min: 0.5, max: 60 }), 'target segment length in seconds (segments are cut on keyframes)'),
  hlsPlaylistLength: setting('HLS_PLAYLIST_LENGTH', 20, seconds({ min: 2, max: 3600 }), 'sliding window of the live playlist in seconds'),
  hlsFormat: setting('HLS_FORMAT', 'fmp4' as 'fmp4' | 'ts', oneOf(['fmp4', 'ts'] as const), 'live segment format: fmp4 (CMAF, packaged in process, Low-Latency HLS parts; H.264, HEVC, AAC) or ts (MPEG-TS through one ffmpeg per stream, the reference layout)'),
  hlsPart: setting('HLS_PART', 0.2, seconds({ min: 0.1, max: 2 }), 'Low-Latency HLS part duration in seconds (fmp4), rounded up to whole frames'),
  hlsDvrWindow: setting('HLS_DVR_WINDOW', 0, seconds({ min: 0, max: 86_400 }), 'seconds of a live stream its playlist keeps listing so viewers can rewind (0 = off: HLS_PLAYLIST_LENGTH only); LL-HLS parts stay near the live edge, older segments are served from disk'),
  instantVod: setting('INSTANT_VOD', true, bool, 'keep every segment of a publish (HLS_FORMAT=fmp4) so it plays as an HLS VOD at /vod-live/<name>/<start ms>/index.m3u8 as soon as it ends, listed at /vod-live/index.json until the transcoder\'s ladder replaces it'),
  instantVodMaxSize: setting('INSTANT_VOD_MAX_SIZE', '4G', size({ min: 1024 * 1024 }), 'disk an instant VOD may take per publish; beyond it its oldest segments are dropped, so it keeps the latest part of a long publish'),
  instantVodRetention: setting('INSTANT_VOD_RETENTION', 86_400, seconds({ min: 1 }), 'an instant VOD no ladder replaced is deleted this long after its publish ended (one that was replaced goes once the ladder has been there for its duration plus HLS_SEGMENT_MAX_AGE)'),
  liveLadder: setting('LIVE_LADDER', '', liveLadderText, 'live ABR ladder (HLS_FORMAT=fmp4, H.264 sources) as JSON like LADDER without the audio entry: [{"width":640,"height":360,"bitrate":"500k"},...]; one ffmpeg per stream encodes every rung smaller than the source (fitted to its aspect) with keyframes at the source\'s, carrying its audio; empty = off'),
  liveLadderPreset: setting('LIVE_LADDER_PRESET', 'veryfast' as (typeof X264_PRESETS)[number], oneOf(X264_PRESETS), 'x264 preset of the live ladder\'s renditions (tuned for zero latency)'),
  liveLadderMaxLag: setting('LIVE_LADDER_MAX_LAG', 6, seconds({ min: 0.5, max: 600 }), 'a stream\'s ladder encoder that trails the source by more than this (seconds of media) is slower than real time: it is stopped and its renditions leave the master'),
  liveViewportRenditions: setting('LIVE_VIEWPORT_RENDITIONS', 0, viewportCount, `K orientation-biased live renditions of 2:1 mono equirect streams (0 = none, else 2 to ${VIEWPORT_RENDITIONS_MAX}; HLS_FORMAT=fmp4, H.264 sources): encoded by the live ladder's ffmpeg at the source's size, 360/K degrees of yaw apart, each with more bits (x264 region of interest) over the 90 + 360/K degrees a viewer facing it sees; listed in /hls/<name>.viewport.json and /hls/<name>_viewport.m3u8 while the stream is live, never in /hls/<name>.m3u8; the player picks one by where the viewer looks`),
  viewportBitrateShare: setting('VIEWPORT_BITRATE_SHARE', 0.4, decimal({ min: 0.05, max: 2 }), 'bitrate of each live viewport rendition as a share of the source\'s video bitrate (its onMetaData videodatarate; 0.1 bit per pixel per frame when it declares none), as the transcoder\'s setting of the same name'),
  viewportQoffset: setting('VIEWPORT_QOFFSET', -0.3, decimal({ min: -1, max: 0 }), 'quantiser offset of the favoured band of a live viewport rendition (ffmpeg addroi; x264 scales -1..0 to -51..0 QP), as the transcoder\'s setting of the same name'),
  defaultProjection: setting('DEFAULT_PROJECTION', 'auto' as 'auto' | 'flat' | 'equirect' | 'equirect180' | 'cubemap' | 'eac', oneOf(['auto', 'flat', 'equirect', 'equirect180', 'cubemap', 'eac'] as const), 'projection of a stream that names none (publish URL ?projection=, STREAM_LAYOUTS); auto = a 2:1 picture is mono equirect, anything else flat'),
  streamLayouts: setting('STREAM_LAYOUTS', [] as readonly string[], list(pattern(/^[A-Za-z0-9_*?-]{1,64}=[A-Za-z0-9./-]{1,64}$/, 'pattern=projection[/stereo[/yaw[/pitch]]]')), 'comma-separated layouts by stream name pattern, e.g. cam360-*=equirect/top-bottom,vr180=equirect180/side-by-side/0/-10; a publish URL\'s ?projection=&stereo=&yaw=&pitch= wins'),
  hlsVideoLayout: setting('HLS_VIDEO_LAYOUT', false, bool, 'write REQ-VIDEO-LAYOUT (projection and stereo, for Apple Vision Pro) on the live master\'s variant, which makes it EXT-X-VERSION 12; off by default because a client that does not know a REQ- attribute must skip that variant'),
  thumbnailInterval: setting('THUMBNAIL_INTERVAL', 5, seconds({ min: 0 }), 'renew each live stream\'s thumbnail (/hls/<name>.jpg: a rectilinear view of where a 360 stream starts, one eye of stereo) this often, from its newest segment; 0 = no thumbnails'),
  thumbnailIdle: setting('THUMBNAIL_IDLE', 60, seconds({ min: 0 }), 'stop renewing live thumbnails this long after the last request for /stat or a thumbnail (each renewal is an ffmpeg run); the next such request restarts them; 0 = renew always'),
  thumbnailTimeout: setting('THUMBNAIL_TIMEOUT', 10, seconds({ min: 0.5, max: 300 }), 'time limit of one thumbnail\'s ffmpeg run (killed past it)'),
  hlsVariantSuffix: setting('HLS_VARIANT_SUFFIX', '_1280', pattern(/^[A-Za-z0-9_-]{0,32}$/, 'letters, digits, _ or -'), 'suffix of the variant folder: /hls/<name><suffix>/index.m3u8'),
  playlistCacheSeconds: setting('HLS_PLAYLIST_MAX_AGE', 1, integer({ min: 0 }), 'Cache-Control max-age for live playlists; keep it at most half of HLS_FRAGMENT, or players behind a cache learn of new segments late and stall'),
  segmentCacheSeconds: setting('HLS_SEGMENT_MAX_AGE', 900, integer({ min: 0 }), 'Cache-Control max-age for segments'),
  publishKeys: setting('PUBLISH_KEYS', [] as readonly string[], list(pattern(/^[A-Za-z0-9_-]+=.+$/, 'name=secret')), 'comma-separated name=secret pairs; a listed name must be published with ?key=secret', { secret: true }),
  publishHmacSecret: setting('PUBLISH_HMAC_SECRET', '', string, 'when set, every publish needs ?exp=<unix time>&sig=<hex HMAC-SHA256 of "APP/NAME:exp">', { secret: true }),
  onPublish: setting('ON_PUBLISH', '', optionalHttpUrl, 'URL POSTed (form-encoded, like nginx-rtmp on_publish) before a publish starts; a non-2xx answer refuses it'),
  onPublishDone: setting('ON_PUBLISH_DONE', '', optionalHttpUrl, 'URL POSTed when a publish ends (on_publish_done)'),
  hookTimeout: setting('HOOK_TIMEOUT', 5, seconds({ min: 0.1, max: 60 }), 'timeout of each webhook call; an on_publish that times out refuses the publisher'),
  controlToken: setting('CONTROL_TOKEN', '', string, 'bearer token for /control; /control is off while unset', { secret: true }),
  rtmpIdleTimeout: setting('RTMP_IDLE_TIMEOUT', 30, seconds({ min: 1 }), 'close RTMP connections that send nothing for this long'),
  maxStreams: setting('MAX_STREAMS', 64, integer({ min: 1 }), 'most concurrent publishers'),
  rtmpMaxMessage: setting('RTMP_MAX_MESSAGE', '8M', size({ min: 64 * 1024 }), 'largest RTMP message (one video frame) of an accepted publish; larger closes the connection (before a publish is accepted the limit is 64K)'),
  rtmpMaxConnectionsPerIp: setting('RTMP_MAX_CONNECTIONS_PER_IP', 10, integer({ min: 1 }), 'most RTMP connections from one address at a time'),
  rtmpReadBatch: setting('RTMP_READ_BATCH', 0.15, seconds({ min: 0, max: 0.2 }), 'read each publisher\'s socket at most this often (seconds), so one wakeup takes many packets instead of one each: less CPU per stream for at most this much added latency; 0 = read as data arrives'),
  rtmpHandshakeTimeout: setting('RTMP_HANDSHAKE_TIMEOUT', 10, seconds({ min: 0.1, max: 600 }), 'close RTMP connections that have not completed the handshake in this time'),
  ingestMaxSpeed: setting('INGEST_MAX_SPEED', 4, decimal({ min: 1 }), 'drop a publisher whose media time runs faster than this many times real time (beyond INGEST_BURST)'),
  ingestMaxRate: setting('INGEST_MAX_RATE', '16M', size({ min: 64 * 1024 }), 'drop a publisher that sends more than this many bytes per second (beyond INGEST_BURST)'),
  ingestBurst: setting('INGEST_BURST', 5, seconds({ min: 0, max: 600 }), 'seconds a publisher may run ahead of INGEST_MAX_SPEED and INGEST_MAX_RATE (encoder buffers after a network stall)'),
  record: setting('RECORD', 'all' as 'all' | 'off', oneOf(['all', 'off'] as const), 'record every stream under MEDIA_DIR/rec and upload each part to INGRESS'),
  recordMaxSize: setting('RECORD_MAX_SIZE', '128000K', size({ min: 64 * 1024 }), 'recording rollover size (a new part starts at the next segment boundary with fmp4, the next keyframe with ts)'),
  recordDoneExec: setting('RECORD_DONE_EXEC', '', string, 'shell command run after each part is uploaded, as `sh -c CMD sh <mp4 path> <basename>` (exec_record_done)'),
  ingress: setting('INGRESS', '', string, 'object store for recordings: a folder, file:///path or s3://bucket/prefix (empty = MEDIA_DIR/ingress)'),
  queue: setting('QUEUE', '', string, 'job queue fed with an S3 event per upload when INGRESS is local: a folder or file:///path (empty = MEDIA_DIR/queue); on S3 the bucket notification feeds SQS'),
  egress: setting('EGRESS', '', string, 'local folder of transcoded VOD served at /vod/ (empty = MEDIA_DIR/egress; not served when it is s3://, where the CDN serves the bucket)'),
  s3Endpoint: setting('S3_ENDPOINT', '', optionalHttpUrl, 'S3-compatible endpoint (path-style addressing); empty = AWS'),
  awsRegion: setting('AWS_REGION', '', string, 'AWS region (empty = the SDK default chain)'),
  awsCallLog: awsCallLogSetting,
  originSecretHeader: setting('ORIGIN_SECRET_HEADER', 'x-origin-verify', pattern(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name'), 'header the edge tier must send when ORIGIN_SECRET is set'),
  originSecret: setting('ORIGIN_SECRET', '', string, 'when set, /hls requests without ORIGIN_SECRET_HEADER carrying it get 403 (only the edge tier may fetch)', { secret: true }),
  ...playbackSettings,
  playbackIndexTtl: setting('PLAYBACK_INDEX_TTL', 3600, seconds(), 'with PLAYBACK_HMAC_SECRET: the master links in /stat and /vod/index.json carry a playback token valid this long, so the index page plays (0 = unsigned links)'),
  ffmpegPath: setting('FFMPEG_PATH', 'ffmpeg', string, 'ffmpeg binary'),
  ffprobePath: setting('FFPROBE_PATH', 'ffprobe', string, 'ffprobe binary'),
  publicDir: setting('PUBLIC_DIR', 'public', string, 'the 360 player and index page, served at /'),
  spotMonitor: setting('SPOT_MONITOR', 'auto' as 'auto' | 'on' | 'off', oneOf(['auto', 'on', 'off'] as const), 'poll EC2 instance metadata (IMDSv2) for a Spot interruption notice, then close every part and upload it (auto = only on EC2)'),
  imdsUrl: setting('IMDS_URL', 'http://169.254.169.254', optionalHttpUrl, 'instance metadata base URL'),
  spotPollInterval: setting('SPOT_POLL_INTERVAL', 5, seconds({ min: 0.05 }), 'how often the Spot interruption notice is polled'),
  logLevel: setting('LOG_LEVEL', 'info', oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const), 'log level'),
  shutdownTimeout: setting('SHUTDOWN_TIMEOUT', 90, seconds({ min: 1 }), 'longest graceful shutdown before exiting anyway'),
  statPublic: setting('STAT_PUBLIC', true, bool, 'serve /stat without the control token'),
};
