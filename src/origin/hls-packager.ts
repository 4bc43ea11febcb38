import { PassThrough } from 'node:stream';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../shared/logger';
import { scError } from '../shared/errors';
import { parseMediaPlaylist, writeMasterPlaylist } from '../shared/hls-playlist';
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

  constructor(private readonly opts: HlsPackagerOptions) {
    this.variantDir = join(opts.hlsDir, `${opts.name}${opts.variantSuffix}`);
    this.masterPath = join(opts.hlsDir, `${opts.name}.m3u8`);
    this.log = opts.log.child({ component: 'hls', stream: opts.name });
  }

  /** Prepares the folder and continues segment numbering after an earlier publish of the same name. */
  async start(): Promise<void> {
    await mkdir(this.variantDir, { recursive: true });
    const old = join(this.variantDir, 'index.m3u8');
    try {
      const p = parseMediaPlaylist(await readFile(old, 'utf8'));
      this.startNumber = p.mediaSequence + p.segments.length;
    } catch {
      this.startNumber = 0;
    }
    // The previous publish's segments stay readable for one window (players finishing it), then go.
    const leftovers = (await readdir(this.variantDir)).filter((f) => f.endsWith('.ts'));
    if (leftovers.length) {
      setTimeout(() => {
        for (const f of leftovers) unlink(join(this.variantDir, f)).catch(() => undefined);
      }, this.opts.playlistSeconds * 1000).unref();
    }
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
    const windowSegments = Math.max(2, Math.round(o.playlistSeconds / o.fragmentSeconds));
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
        // Segments leave the disk one window after they leave the playlist (RFC 8216 6.2.2).
        '-hls_delete_threshold', String(windowSegments),
        '-hls_flags', 'delete_segments+independent_segments+temp_file',
        '-start_number', String(this.startNumber),
        '-hls_segment_filename', join(this.variantDir, '%d.ts'),
      ])
      .output(join(this.variantDir, 'index.m3u8'));
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
    this.watcher = watch(join(this.variantDir, 'index.m3u8'), { ignoreInitial: false });
    this.watcher.on('add', () => void this.updateMaster());
    this.watcher.on('change', () => void this.updateMaster());
    this.watcher.on('error', (err) => this.log.warn({ err }, 'playlist watcher error'));
    this.log.info({ startNumber: this.startNumber, windowSegments }, 'packaging started');
  }

  private fail(err: Error): void {
    this.log.error({ code: (err as { code?: string }).code, err: err.message }, 'packager stopped');
    this.failed = true;
    this.command?.kill('SIGKILL');
  }

  /** The master lists the variant with BANDWIDTH (peak segment bitrate), RESOLUTION, CODECS and FRAME-RATE as measured. */
  async updateMaster(): Promise<void> {
    let text: string;
    try {
      text = await readFile(join(this.variantDir, 'index.m3u8'), 'utf8');
    } catch {
      return;
    }
    let playlist;
    try {
      playlist = parseMediaPlaylist(text);
    } catch {
      return; // caught mid-write by a reader: the next change event brings the whole file
    }
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
      await this.updateMaster().catch(() => undefined);
    }
    await this.watcher?.close();
  }
}
