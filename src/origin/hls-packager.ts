import { PassThrough } from 'node:stream';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import { scError } from '../shared/errors';
import { parseMediaPlaylist, type MediaPlaylist } from '../shared/hls-playlist';
import type { LiveMaster } from './live-master';
import type { DelayedUnlink } from './delayed-unlink';
import { VARIANT_PLAYLIST } from './hls-leftovers';
import { windowSegmentsOf } from './segment-retention';
import { VariantRetention } from './variant-retention';
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
  readonly master: LiveMaster;
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
  private readonly log: Logger;
  private input?: PassThrough;
  private command?: ffmpeg.FfmpegCommand;
  private exited?: Promise<void>;
  private videoConfig?: Buffer;
  private audioConfig?: Buffer;
  private audioFramesWaiting = 0;
  private failed = false;
  private watcher?: FSWatcher;
  private closing = false;
  private startNumber = 0;
  private stderrTail: string[] = [];
  private readonly retention: VariantRetention;

  constructor(private readonly opts: HlsPackagerOptions) {
    this.variantDir = join(opts.hlsDir, `${opts.name}${opts.variantSuffix}`);
    this.log = opts.log.child({ component: 'hls', stream: opts.name });
    this.retention = new VariantRetention({ ...opts, variantDir: this.variantDir });
  }

  /** Prepares the folder and continues segment numbering after an earlier publish of the same name. */
  async start(): Promise<void> {
    await mkdir(this.variantDir, { recursive: true });
    this.startNumber = await this.retention.adoptLeftovers();
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
        // RFC 8216 6.2.2 allows; we delete each one by the time it left the playlist (VariantRetention).
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
    this.retention.observe(playlist.segments);
    await this.updateMaster(playlist);
  }

  /** The master's figures come from the segments' sizes on disk. */
  private async updateMaster(playlist: MediaPlaylist): Promise<void> {
    const sizes = await Promise.all(
      playlist.segments.map(async (s) => ({ bytes: await stat(join(this.variantDir, s.uri)).then((st) => st.size, () => 0), duration: s.duration })),
    );
    await this.opts.master.update(sizes);
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
