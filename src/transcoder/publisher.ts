import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { contentTypeForKey } from '../shared/content-type';
import type { Logger } from '../shared/logger';
import type { ObjectStore } from '../shared/object-store';

/** Playlists of a finished VOD asset rarely change (a re-run); segments only then. */
export const PLAYLIST_CACHE_CONTROL = 'public, max-age=60';
export const SEGMENT_CACHE_CONTROL = 'public, max-age=86400';

export interface PublishedObject {
  readonly key: string;
  readonly contentType: string;
  readonly cacheControl: string;
}

/** Content-Type and Cache-Control for a published key. Pure. */
export function headersFor(key: string): { contentType: string; cacheControl: string } {
  const contentType = contentTypeForKey(key);
  const playlist = /\.m3u8$/i.test(key);
  return { contentType, cacheControl: playlist ? PLAYLIST_CACHE_CONTROL : SEGMENT_CACHE_CONTROL };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Uploads a job's output folder to `<prefix>/...` in the egress store: segments, then media
 * playlists, then the master playlists last, so a reader that finds a master finds everything it
 * names. Keys depend only on the asset name and rendition names, so a re-run overwrites them.
 */
export async function publishAsset(opts: {
  store: ObjectStore;
  outDir: string;
  prefix: string;
  masters: readonly string[];
  log: Logger;
  parallel?: number;
  /** The log line once all is up (a fleet chunk publishes part of an asset). */
  done?: string;
}): Promise<PublishedObject[]> {
  const files = (await filesUnder(opts.outDir)).map((path) => ({ path, rel: relative(opts.outDir, path).split(sep).join('/') }));
  const masters = new Set(opts.masters);
  const rank = (rel: string): number => (masters.has(rel) ? 2 : /\.m3u8$/i.test(rel) ? 1 : 0);
  const published: PublishedObject[] = [];
  const upload = async (f: { path: string; rel: string }): Promise<void> => {
    const key = `${opts.prefix}/${f.rel}`;
    const h = headersFor(key);
    await opts.store.putFile(key, f.path, h);
    published.push({ key, ...h });
  };
  for (const stage of [0, 1]) {
    const queue = files.filter((f) => rank(f.rel) === stage);
    const workers = Array.from({ length: Math.min(opts.parallel ?? 4, queue.length) }, async () => {
      for (let f = queue.shift(); f; f = queue.shift()) await upload(f);
    });
    await Promise.all(workers);
  }
  // `masters` lists the main one first; it goes up last of all.
  for (const m of [...opts.masters].reverse()) {
    const f = files.find((x) => x.rel === m);
    if (!f) throw new Error(`master playlist ${m} is missing from ${opts.outDir}`);
    await upload(f);
  }
  opts.log.info({ prefix: opts.prefix, objects: published.length, store: opts.store.location }, opts.done ?? 'asset published');
  return published;
}
