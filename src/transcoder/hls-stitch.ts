import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { SpherecastError } from '../shared/errors';
import { parseMediaPlaylist, targetDurationFor, writeMediaPlaylist, type MediaPlaylist } from '../shared/hls-playlist';

/** The stitched rendition's segment names, numbered across chunks like one run's (`.ts` or `.m4s`). */
export function stitchedSegmentName(n: number, ext = '.ts'): string {
  return `seg_${String(n).padStart(5, '0')}${ext}`;
}

/** The stitched rendition's init segment of chunk `n` (fMP4). */
export function stitchedInitName(n: number): string {
  return `init_${String(n).padStart(3, '0')}.mp4`;
}

/** A chunk's playlist; `initAsBefore` says its init segment is byte for byte the previous chunk's. */
export interface ChunkPart {
  readonly dir: string;
  readonly playlist: MediaPlaylist;
  readonly initAsBefore?: boolean;
}

/**
 * One rendition's chunk playlists (in chunk order) -> one VOD playlist and the segment files to
 * move. The chunks' timestamps already continue one another (each run is offset by its start), so
 * no discontinuity is marked. `parts[i].dir` is the folder the i-th playlist's URIs are relative
 * to. fMP4 chunks each bring their init segment (EXT-X-MAP); one that equals the previous chunk's is not
 * listed again. Pure.
 */
export function stitchPlaylists(parts: readonly ChunkPart[]): {
  playlist: MediaPlaylist;
  moves: Array<{ from: string; to: string }>;
} {
  const segments: Array<{ uri: string; duration: number; map?: string }> = [];
  const moves: Array<{ from: string; to: string }> = [];
  const plain = (i: number, uri: string): string => {
    if (uri.includes('/') || uri.includes('\\')) throw new Error(`chunk ${i}: unexpected segment URI ${uri}`);
    return uri;
  };
  let map: string | undefined;
  const fmp4 = parts[0]?.playlist.segments[0]?.map !== undefined;
  parts.forEach(({ dir, playlist, initAsBefore }, i) => {
    if (playlist.segments.length === 0) throw new Error(`chunk ${i} has no segments`);
    if (!playlist.endList) throw new Error(`chunk ${i}'s playlist is not finished (no ENDLIST)`);
    const chunkMap = playlist.segments[0].map;
    if ((chunkMap !== undefined) !== fmp4) throw new Error(`chunk ${i}: init segments in some chunks only`);
    if (playlist.segments.some((s) => s.map !== chunkMap)) throw new Error(`chunk ${i} changes its init segment`);
    if (chunkMap !== undefined && !(initAsBefore && map !== undefined)) {
      map = stitchedInitName(i);
      moves.push({ from: join(dir, plain(i, chunkMap)), to: map });
    }
    for (const s of playlist.segments) {
      const to = stitchedSegmentName(segments.length, extname(plain(i, s.uri)) || '.ts');
      moves.push({ from: join(dir, s.uri), to });
      segments.push({ uri: to, duration: s.duration, ...(map !== undefined ? { map } : {}) });
    }
  });
  return { playlist: vodPlaylist(segments), moves };
}

/** A finished VOD playlist of stitched segments (fMP4 when they map an init segment). Pure. */
export function vodPlaylist(segments: ReadonlyArray<{ uri: string; duration: number; map?: string }>): MediaPlaylist {
  return {
    // EXT-X-MAP outside an I-frame playlist needs version 6 (RFC 8216 7).
    version: segments.some((s) => s.map !== undefined) ? 6 : 3,
    targetDuration: targetDurationFor(segments.map((s) => s.duration)),
    mediaSequence: 0,
    playlistType: 'VOD',
    independentSegments: true,
    segments,
    endList: true,
  };
}

/** Moves the chunks' segments of rendition `name` into `<outDir>/<name>/` and writes its index.m3u8. */
export async function stitchRendition(opts: { chunkDirs: readonly string[]; outDir: string; name: string }): Promise<number> {
  const read = await Promise.all(
    opts.chunkDirs.map(async (chunkDir) => {
      const dir = join(chunkDir, opts.name);
      const playlist = parseMediaPlaylist(await readFile(join(dir, 'index.m3u8'), 'utf8'));
      const map = playlist.segments[0]?.map;
      const init = map !== undefined && !map.includes('/') ? await readFile(join(dir, map)) : undefined;
      return { dir, playlist, init };
    }),
  );
  const parts: ChunkPart[] = read.map((p, i) => ({ dir: p.dir, playlist: p.playlist, initAsBefore: i > 0 && !!p.init && !!read[i - 1].init && p.init.equals(read[i - 1].init!) }));
  let stitched: ReturnType<typeof stitchPlaylists>;
  try {
    stitched = stitchPlaylists(parts);
  } catch (err) {
    throw new SpherecastError('SC_ERR_TRANSCODE', [opts.name, `cannot stitch chunks: ${(err as Error).message}`]);
  }
  const target = join(opts.outDir, opts.name);
  await mkdir(target, { recursive: true });
  for (const m of stitched.moves) await rename(m.from, join(target, m.to));
  await writeFile(join(target, 'index.m3u8'), writeMediaPlaylist(stitched.playlist));
  return stitched.playlist.segments.length;
}
