import { mkdir, access, constants } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Counter } from 'prom-client';
import { openObjectStore } from '../shared/object-store-open';
import { openJobQueue } from '../shared/job-queue-open';
import { RecordingUploader } from './recording-uploader';
import { parseLayoutRules } from './layout-rules';
import { startSpotMonitor } from '../shared/spot-interruption';
import { runProgram } from '../shared/program';
import { checkFfmpeg } from '../shared/ffmpeg-check';
import { systemClock } from '../shared/clock';
import { createMetricsRegistry } from '../shared/metrics';
import { scError } from '../shared/errors';
import { localFolderOf } from '../shared/local-folder';
import { parseVideoRungs } from '../shared/abr-ladder';
import { originSchema } from './config';
import { LiveStreams } from './live-streams';
import { LiveThumbnails } from './live-thumbnails';
import { PacketCpuMeter } from './packager/packet-cpu-meter';
import { PublishHooks } from './publish-hooks';
import { parsePublishKeys } from './publish-auth';
import { RtmpIngest } from './rtmp-ingest';
import { OriginHttpServer } from './http-server';
import { InstantVodLibrary } from './instant-vod/instant-vod-library';
import { playbackGateOf } from '../shared/playback/playback-settings';

/** The local egress folder the origin serves at /vod/: EGRESS as the store parser reads it (a path or file:///path). */
function vodFolder(egress: string, mediaDir: string): string {
  if (!egress) return join(mediaDir, 'egress');
  return localFolderOf(egress, (why) => scError('SC_ERR_CONFIG', `EGRESS ${JSON.stringify(egress)} ${why}; use a path, file:///absolute/path or s3://bucket/prefix`));
}

void runProgram({
  name: 'origin',
  summary: 'RTMP ingest and live HLS origin (a drop-in for the nginx-rtmp origin)',
  schema: originSchema,
  shutdownTimeoutMs: (c) => c.shutdownTimeout * 1000,
  async start(config, log) {
    const ffmpeg = await checkFfmpeg(config.ffmpegPath, config.ffprobePath);
    log.info({ ffmpeg: ffmpeg.version }, 'ffmpeg found');
    const hlsDir = join(config.mediaDir, 'hls');
    try {
      await mkdir(hlsDir, { recursive: true });
      await access(hlsDir, constants.W_OK);
    } catch (err) {
      throw scError('SC_ERR_CONFIG', `MEDIA_DIR ${config.mediaDir} is not writable: ${(err as Error).message}`);
    }
    const clock = systemClock;
    let uploader: RecordingUploader | undefined;
    const recDir = join(config.mediaDir, 'rec');
    if (config.record === 'all') {
      await mkdir(recDir, { recursive: true });
      const storeOpts = { log, callLog: config.awsCallLog, ...(config.s3Endpoint ? { s3Endpoint: config.s3Endpoint } : {}), ...(config.awsRegion ? { region: config.awsRegion } : {}) };
      const ingressUrl = config.ingress || resolve(config.mediaDir, 'ingress');
      const store = openObjectStore(ingressUrl, storeOpts);
      // On S3 the bucket's event notification feeds the queue; locally we send the same message.
      const queue = ingressUrl.startsWith('s3://') ? undefined : openJobQueue(config.queue || resolve(config.mediaDir, 'queue'), { log, clock });
      uploader = new RecordingUploader({ recDir, store, queue, ffmpegPath: config.ffmpegPath, doneExec: config.recordDoneExec, retry: { baseMs: 1000, maxMs: 60_000 }, log });
      await uploader.start();
    }
    const metrics = createMetricsRegistry('origin');
    const vodDir = config.egress.startsWith('s3://') ? undefined : vodFolder(config.egress, config.mediaDir);
    // Instant VODs come from the in-process packager's fragments: fMP4 only.
    const instantVod =
      config.instantVod && config.hlsFormat === 'fmp4'
        ? new InstantVodLibrary({
            dir: join(config.mediaDir, 'vod-live'),
            ...(vodDir ? { ladderDir: vodDir } : {}),
            maxBytes: config.instantVodMaxSize,
            retentionMs: config.instantVodRetention * 1000,
            replacedGraceMs: config.segmentCacheSeconds * 1000,
            clock,
            log,
          })
        : undefined;
    await instantVod?.start();
    if (config.instantVod && !instantVod) log.info('instant VOD is made from the fMP4 packager: off with HLS_FORMAT=ts');
    if (config.liveLadder && config.hlsFormat !== 'fmp4') throw scError('SC_ERR_CONFIG', 'LIVE_LADDER needs HLS_FORMAT=fmp4 (the renditions come back through the in-process packager)');
    if (config.liveViewportRenditions && config.hlsFormat !== 'fmp4') throw scError('SC_ERR_CONFIG', 'LIVE_VIEWPORT_RENDITIONS needs HLS_FORMAT=fmp4 (the renditions come back through the in-process packager)');
    const ladderDrops = new Counter({ name: 'spherecast_origin_ladder_dropped_total', help: 'live ladders stopped mid-stream, by reason (behind real time, encoder exited)', labelNames: ['reason'], registers: [metrics] });
    const packagerCpu = new PacketCpuMeter();
    packagerCpu.register(metrics);
    const streams = new LiveStreams({
      mediaDir: config.mediaDir,
      variantSuffix: config.hlsVariantSuffix,
      fragmentSeconds: config.hlsFragment,
      // A DVR window is a longer live playlist: retention (RFC 8216 6.2.2) follows the longer one.
      playlistSeconds: Math.max(config.hlsPlaylistLength, config.hlsDvrWindow),
      memorySeconds: config.hlsPlaylistLength,
      ...(instantVod ? { instantVod } : {}),
      format: config.hlsFormat,
      partSeconds: config.hlsPart,
      ffmpegPath: config.ffmpegPath,
      videoLayout: config.hlsVideoLayout,
      ...(uploader ? { record: { recDir, maxBytes: config.recordMaxSize, onPartClosed: (p: string) => uploader!.add(p) } } : {}),
      ...(config.liveLadder || config.liveViewportRenditions
        ? {
            ladder: {
              rungs: config.liveLadder ? parseVideoRungs(JSON.parse(config.liveLadder)) : [],
              viewport: { count: config.liveViewportRenditions, bitrateShare: config.viewportBitrateShare, qoffset: config.viewportQoffset },
              preset: config.liveLadderPreset,
              maxLagSeconds: config.liveLadderMaxLag,
              maxTagBytes: config.rtmpMaxMessage,
              ffmpegPath: config.ffmpegPath,
              onDropped: (reason: string) => ladderDrops.inc({ reason }),
            },
          }
        : {}),
      packagerCpu,
      clock,
      log,
    });
    await streams.start();
    const thumbnails = config.thumbnailInterval > 0
      ? new LiveThumbnails({ streams, hlsDir, variantSuffix: config.hlsVariantSuffix, ffmpegPath: config.ffmpegPath, intervalMs: config.thumbnailInterval * 1000, timeoutMs: config.thumbnailTimeout * 1000, idleMs: config.thumbnailIdle * 1000, clock, log })
      : undefined;
    thumbnails?.start();
    const hooks = new PublishHooks({ onPublish: config.onPublish, onPublishDone: config.onPublishDone, timeoutMs: config.hookTimeout * 1000, log });
    const rtmp = new RtmpIngest({
      host: config.host,
      port: config.rtmpPort,
      app: config.rtmpApp,
      idleTimeoutMs: config.rtmpIdleTimeout * 1000,
      handshakeTimeoutMs: config.rtmpHandshakeTimeout * 1000,
      maxStreams: config.maxStreams,
      maxMessageBytes: config.rtmpMaxMessage,
      maxConnectionsPerIp: config.rtmpMaxConnectionsPerIp,
      maxSpeed: config.ingestMaxSpeed,
      maxBytesPerSecond: config.ingestMaxRate,
      burstSeconds: config.ingestBurst,
      readBatchMs: config.rtmpReadBatch * 1000,
      auth: { keys: parsePublishKeys(config.publishKeys), hmacSecret: config.publishHmacSecret },
      layouts: { rules: parseLayoutRules(config.streamLayouts), defaultProjection: config.defaultProjection },
      hooks,
      streams,
      clock,
      log,
    });
    if (config.playbackHmacSecret && !config.originSecret) {
      log.warn('PLAYBACK_HMAC_SECRET is set without ORIGIN_SECRET: every request to a token path needs a token, so an edge in front (which strips tokens) cannot fetch them; set ORIGIN_SECRET on edge and origin');
    }
    const http = new OriginHttpServer({
      host: config.host,
      port: config.httpPort,
      hlsDir,
      ...(vodDir ? { vodDir } : {}),
      ...(instantVod ? { instantVod } : {}),
      publicDir: config.publicDir,
      variantSuffix: config.hlsVariantSuffix,
      playlistMaxAge: config.playlistCacheSeconds,
      segmentMaxAge: config.segmentCacheSeconds,
      controlToken: config.controlToken,
      originSecretHeader: config.originSecretHeader,
      originSecret: config.originSecret,
      statPublic: config.statPublic,
      playback: { gate: playbackGateOf(config, clock), secret: config.playbackHmacSecret, indexTtl: config.playbackIndexTtl },
      streams,
      ...(thumbnails ? { onThumbnailsWanted: () => thumbnails.want() } : {}),
      metrics,
      clock,
      log,
    });
    await http.start();
    try {
      await rtmp.start();
    } catch (err) {
      await http.close();
      throw err;
    }
    log.info(
      { publish: `rtmp://HOST:${rtmp.address.port}/${config.rtmpApp}/NAME`, watch: `http://HOST:${http.port}/hls/NAME.m3u8` },
      'origin ready',
    );
    // Two minutes to go: the same path as SIGTERM closes every part and uploads it.
    const spot = startSpotMonitor(config.spotMonitor, { baseUrl: config.imdsUrl, intervalMs: config.spotPollInterval * 1000, log });
    return {
      async close() {
        spot?.stop();
        // Publishers first, so every stream writes its final playlist while HTTP still serves it.
        await rtmp.close();
        await thumbnails?.close();
        await http.close();
        streams.close();
        instantVod?.close();
        // Leave a little of the deadline for the exit itself; what is not uploaded resumes on the next start.
        await uploader?.close(Math.max(1000, config.shutdownTimeout * 1000 - 2000));
      },
    };
  },
});
