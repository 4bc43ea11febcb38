import { copyFile, link, readFile, rm, stat } from 'node:fs/promises';
import { writeAtomic } from '../write-atomic';
import { join } from 'node:path';
import { vodPlaylistText } from './vod-playlist';
import type { JournalSegment } from './vod-journal';

/** The finished instant VOD's playlist; its presence is what makes the VOD servable and listed. */
export const VOD_PLAYLIST = 'index.m3u8';
/** What the listing shows of an instant VOD, written beside its playlist. */
export const VOD_META = 'vod.json';
const MAX_META_BYTES = 4096;

export interface InstantVodMeta {
  readonly name: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Seconds of media. */
  readonly duration: number;
  readonly segments: number;
}

/**
 * The same file under a second name: a hard link costs no copy and no space, and the live
 * folder's retention deleting its own name leaves this one. Copied where links are not possible.
 */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
    await copyFile(from, to);
  }
}

export function fileExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * Ends an instant VOD: the VOD playlist of the segments still on disk, and its listing entry. With
 * no segment at all the folder goes. Returns the entry, or undefined when there was nothing.
 */
export async function finishInstantVod(dir: string, meta: Omit<InstantVodMeta, 'duration' | 'segments'>, segments: readonly JournalSegment[]): Promise<InstantVodMeta | undefined> {
  const present: JournalSegment[] = [];
  for (const s of segments) if (await fileExists(join(dir, `${s.msn}.m4s`))) present.push(s);
  if (!present.length) {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  const duration = Math.round(present.reduce((n, s) => n + s.duration, 0) * 1000) / 1000;
  const full: InstantVodMeta = { ...meta, duration, segments: present.length };
  await writeAtomic(join(dir, VOD_META), JSON.stringify(full));
  await writeAtomic(join(dir, VOD_PLAYLIST), vodPlaylistText(present));
  return full;
}

/** A listing entry as written by finishInstantVod, validated (it is read back from disk). */
export async function readInstantVodMeta(dir: string): Promise<InstantVodMeta | undefined> {
  try {
    const buf = await readFile(join(dir, VOD_META));
    if (buf.length > MAX_META_BYTES) return undefined;
    const o = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    const { name, startedAt, endedAt, duration, segments } = o;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(name)) return undefined;
    if (![startedAt, endedAt, segments].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) return undefined;
    if (typeof duration !== 'number' || !(duration >= 0)) return undefined;
    return { name, startedAt: startedAt as number, endedAt: endedAt as number, duration, segments: segments as number };
  } catch {
    return undefined;
  }
}
