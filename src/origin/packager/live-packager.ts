import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { DelayedUnlink } from '../delayed-unlink';
import { VARIANT_PLAYLIST } from '../hls-leftovers';
import { writeAtomic } from '../write-atomic';
import { VariantRetention } from '../variant-retention';
import type { LiveMaster } from '../live-master';
import { FLV_AUDIO, FLV_VIDEO } from '../flv-writer';
import type { MediaInfo, TagKind } from '../media-info';
import type { LiveRendition, CompletePart, CompleteSegment } from './live-rendition';
import type { PacketCpuMeter } from './packet-cpu-meter';
import { sphericalBoxes } from '../../shared/mp4/spherical-boxes';
import { StreamPackager, type TimeBase } from './stream-packager';
import type { StreamLayout } from '../../shared/layout/stream-layout';
import type { InstantVodWriter } from '../instant-vod/instant-vod-writer';

export interface LivePackagerOptions {
  readonly hlsDir: string;
  readonly name: string;
  readonly variantSuffix: string;
  readonly fragmentSeconds: number;
  readonly partSeconds: number;
  readonly playlistSeconds: number;
  /** Seconds from the live edge kept in memory (HLS_PLAYLIST_LENGTH when a DVR window is longer). */
  readonly memorySeconds?: number;
  /** Keeps every segment for the instant VOD of this publish. */
  readonly instantVod?: InstantVodWriter;
  readonly info: MediaInfo;
  /** Told the segments of each playlist update, for the master's measured figures. */
  readonly master: Pick<LiveMaster, 'update'>;
  readonly deleter: DelayedUnlink;
  readonly clock: Clock;
  readonly log: Logger;
  /** A ladder rendition: the source's clock (see StreamPackagerOptions.timeBase). */
  readonly timeBase?: TimeBase;
  /** A ladder rendition numbers its segments from at least the source's first, so MSNs line up. */
  readonly minFirstMsn?: number;
  /** Each part as it is made, with its init segment (the recorder). */
  readonly onPart?: (part: CompletePart) => void;
  /** Adds up the CPU time spent packaging each packet (for /metrics and the bench). */
  readonly cpu?: PacketCpuMeter;
}

/**
 * Live HLS in fMP4 with Low-Latency HLS, packaged in this process (HLS_FORMAT=fmp4): the publish's
 * FLV tags go to a StreamPackager whose rendition answers players from memory while the stream is
 * live (parts, blocking reloads); every complete segment, its init segment and a plain playlist
 * are also written to the variant folder, which serves the stream once it has ended.
 */
export class LivePackager {
  readonly variantDir: string;
  private readonly log: Logger;
  private packager?: StreamPackager;
  /** Disk writes in order; a failed write is logged and does not stop packaging. */
  private io: Promise<void> = Promise.resolve();
  private readonly written = new Set<string>();
  private readonly retention: VariantRetention;
  /** Spherical Video V2 boxes for the layout (none for flat mono video). */
  private layoutBoxes: readonly Buffer[] = [];
  /** Media sequence number of this publish's first segment, once started. */
  firstMsn = 0;

  constructor(private readonly opts: LivePackagerOptions) {
    this.variantDir = join(opts.hlsDir, `${opts.name}${opts.variantSuffix}`);
    this.log = opts.log.child({ component: 'packager', stream: opts.name });
    this.retention = new VariantRetention({ ...opts, variantDir: this.variantDir });
  }

  /** The rendition players are answered from while the stream is live. */
  get rendition(): LiveRendition | undefined {
    return this.packager?.rendition;
  }

  /** This rendition's clock, for the stream's other renditions (the live ladder's). */
  get timeBase(): TimeBase | undefined {
    return this.packager?.timeBase;
  }

  /** Prepares the folder; numbering continues after an earlier publish of the same name. */
  async start(): Promise<void> {
    await mkdir(this.variantDir, { recursive: true });
    await this.opts.instantVod?.start();
    const firstMsn = Math.max(await this.retention.adoptLeftovers(), this.opts.minFirstMsn ?? 0);
    this.firstMsn = firstMsn;
    const o = this.opts;
    this.packager = new StreamPackager({
      segmentSeconds: o.fragmentSeconds,
      partSeconds: o.partSeconds,
      windowSeconds: o.playlistSeconds,
      ...(o.memorySeconds ? { memorySeconds: o.memorySeconds } : {}),
      clock: o.clock,
      firstMsn,
      ...(o.timeBase ? { timeBase: o.timeBase } : {}),
      onSegment: (s) => this.segmentDone(s),
      ...(o.onPart ? { onPart: o.onPart } : {}),
    });
    this.log.info({ firstMsn, partSeconds: o.partSeconds }, 'packaging started (fMP4, LL-HLS)');
  }

  /** The stream's layout goes into the video sample entry (st3d/sv3d) of the next init segment. */
  setLayout(layout: StreamLayout): void {
    this.layoutBoxes = sphericalBoxes(layout);
  }

  /** One FLV tag from the publisher; `body` is kept, unchanged, until its part is written (see StreamPackager.write). */
  write(dts: number, body: Buffer, kind: TagKind): void {
    const cpu = this.opts.cpu;
    if (!cpu) return this.package(dts, body, kind);
    const before = cpu.start();
    this.package(dts, body, kind);
    cpu.stop(before);
  }

  private package(dts: number, body: Buffer, kind: TagKind): void {
    const p = this.packager;
    if (!p) return;
    const info = this.opts.info;
    if (kind === 'video-config' && info.video && info.videoConfig) {
      p.setVideoConfig({ config: info.videoConfig, width: info.video.width, height: info.video.height, extraBoxes: this.layoutBoxes });
    } else if (kind === 'audio-config' && info.audio) {
      p.setAudioConfig({ asc: body.subarray(2), sampleRate: info.audio.sampleRate, channels: info.audio.channels });
    } else if (kind === 'video' || kind === 'video-key') {
      p.write(FLV_VIDEO, dts, body);
    } else if (kind === 'audio') {
      p.write(FLV_AUDIO, dts, body);
    }
  }

  private segmentDone(s: CompleteSegment): void {
    const rendition = this.packager!.rendition;
    const init = this.written.has(s.initUri) ? undefined : rendition.initSegment(s.initUri);
    this.written.add(s.initUri);
    const playlist = rendition.diskPlaylistText();
    const sizes = rendition.segmentSizes;
    const listed = rendition.listedSegments;
    this.io = this.io
      .then(async () => {
        if (init) await this.writeVariantFile(s.initUri, init);
        await this.writeVariantFile(`${s.msn}.m4s`, s.bytes);
        // Linked before the retention below can delete the live copy.
        await this.opts.instantVod?.add({ ...s, bytes: s.bytes.length }, this.variantDir).catch((err) => this.log.error({ err }, `instant VOD: cannot keep segment ${s.msn}: ${(err as Error).message}`));
        await this.writeVariantFile(VARIANT_PLAYLIST, playlist);
        // Only once the playlist without them is on disk do the segments that left it start their time.
        this.retention.observe(listed);
        await this.opts.master.update(sizes);
      })
      .catch((err) => this.log.error({ err }, `cannot write segment ${s.msn}: ${(err as Error).message}`));
  }

  private writeVariantFile(file: string, data: Buffer | string): Promise<void> {
    return writeAtomic(join(this.variantDir, file), data);
  }

  /** Ends the publish: the last segment and the final playlist (#EXT-X-ENDLIST) are written. */
  async close(): Promise<void> {
    const p = this.packager;
    if (!p) return;
    p.end();
    const vod = this.opts.instantVod;
    const finishVod = async () => {
      await vod?.finish().catch((err) => this.log.error({ err }, `instant VOD: cannot finish: ${(err as Error).message}`));
    };
    if (!p.rendition.hasMedia) {
      this.io = this.io.then(finishVod);
      await this.io;
      return;
    }
    const playlist = p.rendition.diskPlaylistText();
    this.io = this.io.then(() => this.writeVariantFile(VARIANT_PLAYLIST, playlist)).catch((err) => this.log.error({ err }, 'cannot write the final playlist')).then(finishVod);
    await this.io;
    p.rendition.close();
  }
}
