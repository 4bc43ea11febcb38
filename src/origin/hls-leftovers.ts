import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import { parseMediaPlaylist, type MediaPlaylist } from '../shared/hls-playlist';
import type { DelayedUnlink } from './delayed-unlink';
import { longestWindowSeconds, windowSegmentsOf } from './segment-retention';

export const VARIANT_PLAYLIST = 'index.m3u8';

/** What a variant folder holds from an earlier publish of the same name. */
export interface VariantLeftovers {
  /** Its playlist, when there is a readable one. */
  readonly playlist?: MediaPlaylist;
  /** Segments on disk that the playlist no longer lists (they were waiting to be deleted). */
  readonly orphans: readonly string[];
  /** The first segment number no file uses, so a new publish never overwrites one still served. */
  readonly nextNumber: number;
}

/** Reads a variant folder; removes ffmpeg's half-written temporary files (nothing else writes there). */
export async function readVariantLeftovers(dir: string): Promise<VariantLeftovers> {
  const files = await readdir(dir).catch(() => [] as string[]);
  let playlist: MediaPlaylist | undefined;
  try {
    playlist = parseMediaPlaylist(await readFile(join(dir, VARIANT_PLAYLIST), 'utf8'));
  } catch {
    playlist = undefined;
  }
  const listed = new Set(playlist?.segments.map((s) => s.uri));
  const orphans: string[] = [];
  let nextNumber = playlist ? playlist.mediaSequence + playlist.segments.length : 0;
  for (const f of files) {
    if (f.endsWith('.tmp')) {
      await unlink(join(dir, f)).catch(() => undefined);
      continue;
    }
    // fMP4 init segments are named after the first segment they map: they go with the orphans.
    if (/^init-\d+\.mp4$/.test(f)) {
      orphans.push(f);
      continue;
    }
    const m = /^(\d+)\.(ts|m4s)$/.exec(f);
    if (!m) continue;
    nextNumber = Math.max(nextNumber, Number(m[1]) + 1);
    if (!listed.has(f)) orphans.push(f);
  }
  return { ...(playlist ? { playlist } : {}), orphans, nextNumber };
}

/** The longest the playlist left by an earlier publish can have been while it was live (seconds). */
export function leftoverLongestSeconds(playlist: MediaPlaylist | undefined, live: { fragmentSeconds: number; playlistSeconds: number }): number {
  const target = playlist?.targetDuration ?? Math.ceil(live.fragmentSeconds);
  const listed = playlist ? playlist.segments.reduce((s, seg) => s + seg.duration, 0) : 0;
  return longestWindowSeconds(windowSegmentsOf(live.fragmentSeconds, live.playlistSeconds), target, listed);
}

/**
 * How long segments that left a playlist at an unknown earlier time must still be kept, counted
 * from now: RFC 8216 6.2.2's own duration (at most the target duration and a half) plus the
 * playlist's, plus `slackSeconds`.
 */
export function orphanRetentionMs(playlist: MediaPlaylist | undefined, live: { fragmentSeconds: number; playlistSeconds: number }, slackSeconds: number): number {
  const target = playlist?.targetDuration ?? Math.ceil(live.fragmentSeconds);
  return Math.ceil((target + 0.5 + leftoverLongestSeconds(playlist, live) + slackSeconds) * 1000);
}

export interface FinishLeftoversOptions {
  readonly hlsDir: string;
  readonly fragmentSeconds: number;
  readonly playlistSeconds: number;
  readonly deleter: DelayedUnlink;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * After an unclean stop (the origin and its packagers killed), live playlists are left without
 * #EXT-X-ENDLIST and would be served as live for ever, with players polling a stream that will
 * never grow. On start, each is finished as a clean stop would have: #EXT-X-ENDLIST is appended,
 * so players play to the end, and its segments stay with it. Segments that had already left it
 * are given their full retention again, then deleted. Returns the variant folders finished.
 */
export async function finishLeftoverPlaylists(o: FinishLeftoversOptions): Promise<string[]> {
  const log = o.log.child({ component: 'hls-leftovers' });
  const finished: string[] = [];
  const entries = await readdir(o.hlsDir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = join(o.hlsDir, e.name);
    const left = await readVariantLeftovers(dir);
    const deleteAt = o.clock.now() + orphanRetentionMs(left.playlist, o, o.fragmentSeconds);
    for (const f of left.orphans) o.deleter.schedule(join(dir, f), deleteAt);
    if (!left.playlist || left.playlist.endList) continue;
    const path = join(dir, VARIANT_PLAYLIST);
    const text = await readFile(path, 'utf8');
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${text.endsWith('\n') ? text : `${text}\n`}#EXT-X-ENDLIST\n`);
    await rename(tmp, path);
    finished.push(e.name);
    log.warn({ variant: e.name, segments: left.playlist.segments.length }, 'live playlist left by an unclean stop: finished with #EXT-X-ENDLIST');
  }
  return finished;
}
