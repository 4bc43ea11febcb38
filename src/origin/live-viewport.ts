import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { viewportListingJson } from '../shared/layout/viewport-listing';
import { favouredBand } from '../shared/layout/viewport-roi';
import type { StreamLayout } from '../shared/layout/stream-layout';
import type { Logger } from '../shared/logger';
import { LiveMaster } from './live-master';
import { writeAtomic } from './write-atomic';
import type { MediaInfo } from './media-info';

export interface LiveViewportOptions {
  readonly hlsDir: string;
  readonly name: string;
  /** The viewport renditions, in yaw order: their playlists' URIs relative to the HLS folder, and their infos. */
  readonly renditions: ReadonlyArray<{ readonly yaw: number; readonly uri: string; readonly info: MediaInfo }>;
  /** HLS_VIDEO_LAYOUT, as the main master. */
  readonly videoLayout?: boolean;
  readonly log: Logger;
}

type Segments = ReadonlyArray<{ bytes: number; duration: number }>;

/** `/hls/<name>_viewport.m3u8`: the viewport renditions' own master. */
export const viewportMasterFile = (name: string): string => `${name}_viewport.m3u8`;
/** `/hls/<name>.viewport.json`: the listing beside the stream's master (besideMaster). */
export const viewportListingFile = (name: string): string => `${name}.viewport.json`;

/**
 * The live viewport renditions of one stream as a player finds them: a master of their own
 * (`<name>_viewport.m3u8`, measured as the live master measures its variants) and the listing beside the
 * stream's master (`<name>.viewport.json`, the VOD format). They are never variants of the stream's master: a
 * plain player would switch between them by bandwidth alone, blind to where the viewer looks. The listing is
 * written once every rendition has a measured segment, rewritten when a peak grows, and removed (with the
 * viewport master) when the renditions stop.
 */
export class LiveViewport {
  private readonly master: LiveMaster;
  private readonly log: Logger;
  private last = '';
  private removed = false;
  /** Listing writes and the removal in order. */
  private io: Promise<void> = Promise.resolve();
  /** The viewport master's latest write: the removal waits for it. */
  private masterIo: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LiveViewportOptions) {
    const [first, ...rest] = opts.renditions;
    this.log = opts.log.child({ component: 'viewport', stream: opts.name });
    this.master = new LiveMaster({ masterPath: join(opts.hlsDir, viewportMasterFile(opts.name)), variantUri: first!.uri, info: first!.info, distinctBandwidths: true, ...(opts.videoLayout ? { videoLayout: true } : {}) });
    for (const r of rest) this.master.addVariant(r.uri, r.info);
  }

  setLayout(layout: StreamLayout): void {
    this.master.setLayout(layout);
  }

  /** URIs the viewport master lists now. */
  get listedUris(): string[] {
    return this.master.listedUris;
  }

  /** One rendition's segments now (as LiveMaster.updateVariant). */
  async update(uri: string, segments: Segments): Promise<void> {
    if (this.removed) return;
    const wrote = this.master.updateVariant(uri, segments);
    this.masterIo = wrote.catch(() => undefined);
    await wrote;
    if (this.removed) return;
    const listed = new Map(this.master.listedVariants.map((v) => [v.uri, v]));
    const all = this.opts.renditions.map((r) => ({ r, v: listed.get(r.uri) }));
    if (all.some((x) => !x.v)) return;
    const text = viewportListingJson({
      master: viewportMasterFile(this.opts.name),
      band: favouredBand(all.length),
      renditions: all.map(({ r, v }) => ({ yaw: r.yaw, uri: r.uri, bandwidth: v!.bandwidth, width: v!.resolution?.width ?? 0, height: v!.resolution?.height ?? 0 })),
    });
    if (text === this.last) return;
    this.last = text;
    const path = join(this.opts.hlsDir, viewportListingFile(this.opts.name));
    this.io = this.io.catch(() => undefined).then(async () => {
      if (this.removed) return;
      await writeAtomic(path, text);
    });
    return this.io;
  }

  /** The renditions stopped: the listing and the viewport master go, so players play the stream's master. */
  remove(): Promise<void> {
    this.removed = true;
    this.io = Promise.all([this.io.catch(() => undefined), this.masterIo]).then(() => removeViewportFiles(this.opts.hlsDir, this.opts.name, this.log));
    return this.io;
  }
}

/** Removes a stream's viewport listing and master, if any (a stream's renditions stopped, or an earlier publish's). */
export async function removeViewportFiles(hlsDir: string, name: string, log: Logger): Promise<void> {
  for (const f of [viewportListingFile(name), viewportMasterFile(name)]) {
    await unlink(join(hlsDir, f)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') log.error({ err, file: f }, `cannot remove ${f}: ${err.message}`);
    });
  }
}
