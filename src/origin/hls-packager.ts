import { PassThrough } from 'node:stream';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import { scError } from '../shared/errors';
import { parseMediaPlaylist, writeMasterPlaylist, type MediaPlaylist } from '../shared/hls-playlist';
import type { DelayedUnlink } from './delayed-unlink';
import { leftoverLongestSeconds, orphanRetentionMs, readVariantLeftovers, VARIANT_PLAYLIST } from './hls-leftovers';
import { SegmentRetention, windowSegmentsOf } from './segment-retention';
import { flvHeader, flvTag, FLV_AUDIO, FLV_VIDEO } from './flv-writer';
import type { MediaInfo, TagKind } from './media-info';

export interface HlsPackagerOptions {
  readonly hlsDir: string;
  readonly name: string;
  readonly variantSuffix: string;
  readonly fragmentSeconds: number;
  readonly playlistSeconds: number;
  readonly ffmpegPath: string;
  readonly info: MediaInfo;
  /** Deletes segments once RFC 8216 6.2.2 lets them go. */
  readonly deleter: DelayedUnlink;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Audio-only publishes start packaging after this many audio frames with no video config (about 1 s). */
const AUDIO_ONLY_AFTER_FRAMES = 50;
/** A stalled ffmpeg must not make the origin buffer without bound. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/**
 * Live HLS for one publish: one ffmpeg per stream reads the publisher's FLV tags on stdin and
 * segments them without re-encoding (`-c copy`), cutting on keyframes; we write the master
 * playlist from what was measured. Ending stdin makes ffmpeg write its final playlist with
 * #EXT-X-ENDLIST.
 */
export class HlsPackager {
  readonly variantDir: string;
  readonly masterPath: string;
  private readonly log: Logger;
  private input?: PassThrough;
  private command?: ffmpeg.FfmpegCommand;
  private exited?: Promise<void>;
  private videoConfig?: Buffer;
  private audioConfig?: Buffer;
  private audioFramesWaiting = 0;
  private failed = false;
  private watcher?: FSWatcher;
  private lastMaster = '';
  private lastMasterBandwidth = 0;
  private lastMasterShape = '';
  private closing = false;
  private startNumber = 0;
  private stderrTail: string[] = [];
  private readonly retention: SegmentRetention;

  constructor(private readonly opts: HlsPackagerOptions) {
    this.variantDir = join(opts.hlsDir, `${opts.name}${opts.variantSuffix}`);
    this.masterPath = join(opts.hlsDir, `${opts.name}.m3u8`);
    this.log = opts.log.child({ component: 'hls', stream: opts.name });
    // One target duration beyond the spec: players learn of a removal up to a playlist fetch (and its cache lifetime) late.
    this.retention = new SegmentRetention(opts.fragmentSeconds);
  }

  /** Prepares the folder and continues segment numbering after an earlier publish of the same name. */
  async start(): Promise<void> {
    await mkdir(this.variantDir, { recursive: true });
    const old = await readVariantLeftovers(this.variantDir);
    this.startNumber = old.nextNumber;
    const now = this.opts.clock.now();
    // The previous publish's playlist is served until this publish's first one replaces it: its
    // segments leave then, like any other, and are kept as long as the spec asks from that moment.
    if (old.playlist) this.retention.observe(old.playlist.segments, now, leftoverLongestSeconds(old.playlist, this.opts));
    const orphansAt = now + orphanRetentionMs(old.playlist, this.opts, this.opts.fragmentSeconds);
    for (const f of old.orphans) this.opts.deleter.schedule(join(this.variantDir, f), orphansAt);
  }

  /** One FLV tag from the publisher (`tag` is the same tag as FLV bytes). `body` is only valid during this call. */
  write(dts: number, body: Buffer, kind: TagKind, tag: Buffer): void {
    if (this.failed) return;
    if (kind === 'video-config') this.videoConfig = Buffer.from(body);
    else if (kind === 'audio-config') this.audioConfig = Buffer.from(body);
    if (!this.input) {
      // Packaging starts on a keyframe so the first segment decodes on its own.
      const audioOnly = !this.videoConfig && this.audioConfig && kind === 'audio' && ++this.audioFramesWaiting >= AUDIO_ONLY_AFTER_FRAMES;
      if ((kind === 'video-key' && this.videoConfig) || audioOnly) this.spawn(dts);
      else return;
    }
    if (kind === 'video-key' || kind === 'video' || kind === 'audio' || kind === 'video-config' || kind === 'audio-config') {
      this.push(tag);
    }
  }

  private push(buf: Buffer): void {
    const input = this.input!;
    input.write(buf);
    if (input.writableLength > MAX_QUEUED_BYTES) this.fail(scError('SC_ERR_MEDIA', `ffmpeg for ${this.opts.name} fell behind by more than 64 MiB`));
  }

  private spawn(dts: number): void {
    const o = this.opts;
    const windowSegments = windowSegmentsOf(o.fragmentSeconds, o.playlistSeconds);
    this.input = new PassThrough();
    this.input.write(flvHeader(!!this.audioConfig, !!this.videoConfig));
    if (this.videoConfig) this.input.write(flvTag(FLV_VIDEO, dts, this.videoConfig));
    if (this.audioConfig) this.input.write(flvTag(FLV_AUDIO, dts, this.audioConfig));
    const cmd = ffmpeg({ stdoutLines: 0 })
      .setFfmpegPath(o.ffmpegPath)
      .input(this.input)
      .inputFormat('flv')
      // The codec configs come first, so a short probe is enough and keeps the first segment early.
      .inputOptions(['-probesize', '65536', '-analyzeduration', '500000', '-fflags', '+genpts'])
      .outputOptions([
        '-map', '0', '-c', 'copy', '-f', 'hls',
        '-hls_time', String(o.fragmentSeconds),
        '-hls_list_size', String(windowSegments),
        // No delete_segments: ffmpeg would delete a fixed count of segments later, sooner than
        // RFC 8216 6.2.2 allows; we delete each one by the time it left the playlist (retire()).
        '-hls_flags', 'independent_segments+temp_file',
        '-start_number', String(this.startNumber),
        '-hls_segment_filename', join(this.variantDir, '%d.ts'),
      ])
      .output(join(this.variantDir, VARIANT_PLAYLIST));
    cmd.on('stderr', (line: string) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    this.exited = new Promise<void>((resolve) => {
      cmd.on('end', () => resolve());
      cmd.on('error', (err: Error) => {
        if (!this.closing) this.log.error({ code: 'SC_ERR_MEDIA', err: err.message, stderr: this.stderrTail.join('\n') }, 'ffmpeg packager failed; this stream has no HLS until it is republished');
        this.failed = true;
        resolve();
      });
    });
    cmd.run();
    this.command = cmd;
    this.watcher = watch(join(this.variantDir, VARIANT_PLAYLIST), { ignoreInitial: false });
    this.watcher.on('add', () => void this.onPlaylist());
    this.watcher.on('change', () => void this.onPlaylist());
    this.watcher.on('error', (err) => this.log.warn({ err }, 'playlist watcher error'));
    this.log.info({ startNumber: this.startNumber, windowSegments }, 'packaging started');
  }

  private fail(err: Error): void {
    this.log.error({ code: (err as { code?: string }).code, err: err.message }, 'packager stopped');
    this.failed = true;
    this.command?.kill('SIGKILL');
  }

  /** ffmpeg rewrote the variant playlist. */
  private async onPlaylist(): Promise<void> {
    let text: string;
    try {
      text = await readFile(join(this.variantDir, VARIANT_PLAYLIST), 'utf8');
    } catch {
      return;
    }
    let playlist;
    try {
      playlist = parseMediaPlaylist(text);
    } catch {
      return; // caught mid-write by a reader: the next change event brings the whole file
    }
    this.retire(playlist);
    await this.updateMaster(playlist);
  }

  /** Segments that left the playlist are deleted once RFC 8216 6.2.2 lets them go. */
  private retire(playlist: MediaPlaylist): void {
    for (const r of this.retention.observe(playlist.segments, this.opts.clock.now())) {
      this.opts.deleter.schedule(join(this.variantDir, r.uri), r.deleteAtMs);
    }
  }

  /** The master lists the variant with BANDWIDTH (peak segment bitrate), RESOLUTION, CODECS and FRAME-RATE as measured. */
  private async updateMaster(playlist: MediaPlaylist): Promise<void> {
    let peak = 0;
    let bytes = 0;
    let seconds = 0;
    for (const s of playlist.segments) {
      const size = await stat(join(this.variantDir, s.uri)).then((st) => st.size, () => 0);
      if (!size || s.duration <= 0) continue;
      peak = Math.max(peak, (size * 8) / s.duration);
      bytes += size;
      seconds += s.duration;
    }
    if (!peak) return;
    const info = this.opts.info;
    const codecs = [info.video?.codec, info.audio?.codec].filter((c): c is string => !!c);
    const variant = {
      uri: `${this.opts.name}${this.opts.variantSuffix}/index.m3u8`,
      // Rounded up so small swings do not rewrite the master (and invalidate caches) every segment.
      bandwidth: Math.ceil(peak / 50_000) * 50_000,
      averageBandwidth: Math.ceil((bytes * 8) / seconds / 50_000) * 50_000,
      ...(info.video?.width ? { resolution: { width: info.video.width, height: info.video.height } } : {}),
      codecs,
      ...(info.frameRate ? { frameRate: Math.round(info.frameRate * 1000) / 1000 } : {}),
    };
    if (this.lastMaster) {
      // Keep the master stable once written unless the peak grew or the stream changed shape.
      const prev = this.lastMasterBandwidth;
      if (variant.bandwidth <= prev && this.lastMasterShape === JSON.stringify([variant.codecs, variant.resolution])) return;
    }
    const master = writeMasterPlaylist({ variants: [variant], independentSegments: true });
    if (master === this.lastMaster) return;
    this.lastMaster = master;
    this.lastMasterBandwidth = variant.bandwidth;
    this.lastMasterShape = JSON.stringify([variant.codecs, variant.resolution]);
    const tmp = `${this.masterPath}.tmp`;
    await writeFile(tmp, master);
    await rename(tmp, this.masterPath);
  }

  /** Ends the publish: ffmpeg flushes the last segment and writes #EXT-X-ENDLIST. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.input && this.exited) {
      this.input.end();
      const timer = setTimeout(() => this.command?.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
      await this.onPlaylist().catch(() => undefined);
    }
    await this.watcher?.close();
  }
}
