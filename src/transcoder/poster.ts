import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { besideMaster } from '../shared/beside-master';
import { autoLayout, LAYOUT_JSON_MAX_BYTES, parseLayoutJson, type StreamLayout } from '../shared/layout/stream-layout';
import type { Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';
import { makeThumbnail } from '../shared/thumbnail';
import { ASSET_CARD_FILE, assetCard } from './asset-card';
import type { MediaInfo } from './probe';
import { PLAYLIST_CACHE_CONTROL } from './publisher';
import type { MeasuredRendition } from './rendition-measure';
import { fileUrl, safeInputArgs } from './safe-input';
import type { SourceContainer } from './source-container';

export interface PosterOptions {
  readonly store: ObjectStore;
  /** The asset's folder in the egress store. */
  readonly prefix: string;
  /** The job's output folder (already published) and its main master playlist's name in it. */
  readonly outDir: string;
  readonly master: string;
  /** The source file, with the demuxer and pixel cap it was probed with. */
  readonly input: string;
  readonly container: SourceContainer;
  readonly maxPixels: number;
  readonly source: MediaInfo;
  readonly renditions: readonly MeasuredRendition[];
  readonly ffmpegPath: string;
  /** POSTER_TIMEOUT. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly now: Date;
  readonly log: Logger;
}

/** Far enough in to be past a fade from black, near enough to be quick to reach. */
export function posterSeconds(duration: number | undefined): number {
  return duration === undefined ? 0 : Math.min(10, duration * 0.1);
}

/** The layout JSON beside the master when the job wrote one, else the source's (its boxes, or the auto rule). */
async function layoutOf(o: PosterOptions): Promise<StreamLayout> {
  const path = join(o.outDir, besideMaster(o.master, 'json'));
  const size = (await stat(path).catch(() => undefined))?.size;
  if (size !== undefined && size <= LAYOUT_JSON_MAX_BYTES) return parseLayoutJson(await readFile(path, 'utf8'));
  return o.source.video?.layout ?? autoLayout(0, 0);
}

/**
 * After an asset is published (never fails the job: the worker logs what goes wrong): its poster (`<master>.jpg`, a rectilinear view of where a 360 video starts, one eye
 * of stereo; see thumbnail-filter.ts) and its card (`asset.json`: title, dates, duration, size, layout, renditions),
 * both beside the master. The source is read as the probe read it: one demuxer, local file only, pixel cap. The card
 * goes up last, so an index that finds it finds the poster it names.
 */
export async function publishPoster(o: PosterOptions): Promise<void> {
  const layout = await layoutOf(o);
  const poster = await publishPosterImage({ ...o, duration: o.source.duration, layout });
  await publishCard({ ...o, layout, poster });
}

/** The poster alone (the fleet's audio task makes it, as it has the source); its file name, or undefined when it failed (logged). */
export async function publishPosterImage(
  o: Pick<PosterOptions, 'store' | 'prefix' | 'outDir' | 'master' | 'input' | 'container' | 'maxPixels' | 'ffmpegPath' | 'timeoutMs' | 'signal' | 'log'> & {
    readonly duration: number | undefined;
    readonly layout: StreamLayout;
  },
): Promise<string | undefined> {
  const posterName = besideMaster(o.master, 'jpg');
  const posterPath = join(o.outDir, posterName);
  const input = ['-ss', posterSeconds(o.duration).toFixed(3), ...safeInputArgs(o.container, o.maxPixels), '-i', fileUrl(o.input)];
  try {
    await makeThumbnail({ ffmpegPath: o.ffmpegPath, input, layout: o.layout, output: posterPath, label: `poster of ${o.prefix}`, timeoutMs: o.timeoutMs, signal: o.signal });
    await o.store.putFile(`${o.prefix}/${posterName}`, posterPath, { contentType: 'image/jpeg', cacheControl: PLAYLIST_CACHE_CONTROL });
    return posterName;
  } catch (err) {
    // The asset plays without a poster; its card still lists it.
    const e = err as Error & { code?: string };
    o.log.warn({ code: e.code, asset: o.prefix }, `no poster: ${e.message}`);
    return undefined;
  }
}

/** The card, naming the poster when there is one. */
export async function publishCard(
  o: Pick<PosterOptions, 'store' | 'prefix' | 'master' | 'source' | 'renditions' | 'now' | 'log'> & { readonly layout: StreamLayout; readonly poster?: string },
): Promise<void> {
  const card = assetCard({ asset: o.prefix, source: o.source, layout: o.layout, renditions: o.renditions, master: o.master, poster: o.poster, publishedAt: o.now });
  await o.store.putBuffer(`${o.prefix}/${ASSET_CARD_FILE}`, JSON.stringify(card), { contentType: 'application/json', cacheControl: PLAYLIST_CACHE_CONTROL });
  o.log.info({ poster: o.poster && `${o.prefix}/${o.poster}`, layout: o.layout }, 'poster and card published');
}
