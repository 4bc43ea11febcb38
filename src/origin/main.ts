import { mkdir, access, constants } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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
import { originSchema } from './config';
import { LiveStreams } from './live-streams';
import { PacketCpuMeter } from './packager/packet-cpu-meter';
import { PublishHooks } from './publish-hooks';
import { parsePublishKeys } from './publish-auth';
import { RtmpIngest } from './rtmp-ingest';
import { OriginHttpServer } from './http-server';

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
    const packagerCpu = new PacketCpuMeter();
    packagerCpu.register(metrics);
    const streams = new LiveStreams({
      mediaDir: config.mediaDir,
      variantSuffix: config.hlsVariantSuffix,
      fragmentSeconds: config.hlsFragment,
      playlistSeconds: config.hlsPlaylistLength,
      format: config.hlsFormat,
      partSeconds: config.hlsPart,
      ffmpegPath: config.ffmpegPath,
      ...(uploader ? { record: { recDir, maxBytes: config.recordMaxSize, onPartClosed: (p: string) => uploader!.add(p) } } : {}),
      packagerCpu,
      clock,
      log,
    });
    await streams.start();
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
      auth: { keys: parsePublishKeys(config.publishKeys), hmacSecret: config.publishHmacSecret },
      layouts: { rules: parseLayoutRules(config.streamLayouts), defaultProjection: config.defaultProjection },
      hooks,
      streams,
      clock,
      log,
    });
    const http = new OriginHttpServer({
      host: config.host,
      port: config.httpPort,
      hlsDir,
      ...(config.egress.startsWith('s3://') ? {} : { vodDir: vodFolder(config.egress, config.mediaDir) }),
      publicDir: config.publicDir,
      variantSuffix: config.hlsVariantSuffix,
      playlistMaxAge: config.playlistCacheSeconds,
      segmentMaxAge: config.segmentCacheSeconds,
      controlToken: config.controlToken,
      originSecretHeader: config.originSecretHeader,
      originSecret: config.originSecret,
      statPublic: config.statPublic,
      streams,
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
        await http.close();
        streams.close();
        // Leave a little of the deadline for the exit itself; what is not uploaded resumes on the next start.
        await uploader?.close(Math.max(1000, config.shutdownTimeout * 1000 - 2000));
      },
    };
  },
});
