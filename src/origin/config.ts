import { setting } from '../shared/config/config';
import { bool, integer, list, oneOf, optionalHttpUrl, pattern, port, seconds, string } from '../shared/config/parsers';

/** Every origin setting: default, environment variable, help line. RTMP_PORT, HTTP_PORT, MEDIA_DIR, HLS_FRAGMENT and HLS_PLAYLIST_LENGTH are a contract. */
export const originSchema = {
  host: setting('HOST', '0.0.0.0', string, 'address the RTMP and HTTP listeners bind to'),
  rtmpPort: setting('RTMP_PORT', 1935, port, 'RTMP ingest port'),
  httpPort: setting('HTTP_PORT', 8080, port, 'HTTP port for /hls, /stat, /control, /healthz, /metrics'),
  mediaDir: setting('MEDIA_DIR', './var', string, 'working folder; live HLS is written under MEDIA_DIR/hls'),
  rtmpApp: setting('RTMP_APP', 'live', pattern(/^[A-Za-z0-9_-]{1,64}$/, 'an RTMP application name'), 'the RTMP application publishers use (rtmp://host/APP/NAME)'),
  hlsFragment: setting('HLS_FRAGMENT', 2, seconds({ min: 0.5, max: 60 }), 'target segment length in seconds (segments are cut on keyframes)'),
  hlsPlaylistLength: setting('HLS_PLAYLIST_LENGTH', 20, seconds({ min: 2, max: 3600 }), 'sliding window of the live playlist in seconds'),
  hlsVariantSuffix: setting('HLS_VARIANT_SUFFIX', '_1280', pattern(/^[A-Za-z0-9_-]{0,32}$/, 'letters, digits, _ or -'), 'suffix of the variant folder: /hls/<name><suffix>/index.m3u8'),
  playlistCacheSeconds: setting('HLS_PLAYLIST_MAX_AGE', 3, integer({ min: 0 }), 'Cache-Control max-age for playlists'),
  segmentCacheSeconds: setting('HLS_SEGMENT_MAX_AGE', 900, integer({ min: 0 }), 'Cache-Control max-age for segments'),
  publishKeys: setting('PUBLISH_KEYS', [] as readonly string[], list(pattern(/^[A-Za-z0-9_-]+=.+$/, 'name=secret')), 'comma-separated name=secret pairs; a listed name must be published with ?key=secret', { secret: true }),
  publishHmacSecret: setting('PUBLISH_HMAC_SECRET', '', string, 'when set, every publish needs ?exp=<unix time>&sig=<hex HMAC-SHA256 of "APP/NAME:exp">', { secret: true }),
  onPublish: setting('ON_PUBLISH', '', optionalHttpUrl, 'URL POSTed (form-encoded, like nginx-rtmp on_publish) before a publish starts; a non-2xx answer refuses it'),
  onPublishDone: setting('ON_PUBLISH_DONE', '', optionalHttpUrl, 'URL POSTed when a publish ends (on_publish_done)'),
  hookTimeout: setting('HOOK_TIMEOUT', 5, seconds({ min: 0.1, max: 60 }), 'timeout of each webhook call; an on_publish that times out refuses the publisher'),
  controlToken: setting('CONTROL_TOKEN', '', string, 'bearer token for /control; /control is off while unset', { secret: true }),
  rtmpIdleTimeout: setting('RTMP_IDLE_TIMEOUT', 30, seconds({ min: 1 }), 'close RTMP connections that send nothing for this long'),
  maxStreams: setting('MAX_STREAMS', 64, integer({ min: 1 }), 'most concurrent publishers'),
  record: setting('RECORD', 'off' as 'all' | 'off', oneOf(['all', 'off'] as const), 'record every stream (recording ships in a later release; only off is implemented)'),
  ffmpegPath: setting('FFMPEG_PATH', 'ffmpeg', string, 'ffmpeg binary'),
  ffprobePath: setting('FFPROBE_PATH', 'ffprobe', string, 'ffprobe binary'),
  publicDir: setting('PUBLIC_DIR', 'public', string, 'the 360 player and index page, served at /'),
  logLevel: setting('LOG_LEVEL', 'info', oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const), 'log level'),
  shutdownTimeout: setting('SHUTDOWN_TIMEOUT', 20, seconds({ min: 1 }), 'longest graceful shutdown before exiting anyway'),
  statPublic: setting('STAT_PUBLIC', true, bool, 'serve /stat without the control token'),
};
