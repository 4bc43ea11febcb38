import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpherecastError } from '../shared/errors';
import { parseMediaPlaylist, targetDurationFor, writeMediaPlaylist, type MediaPlaylist } from '../shared/hls-playlist';

/** The stitched rendition's segment names, numbered across chunks like one run's. */
export function stitchedSegmentName(n: number): string {
  return `seg_${String(n).padStart(5, '0')}.ts`;
}

/**
 * One rendition's chunk playlists (in chunk order) -> one VOD playlist and the segment files to
 * move. The chunks' timestamps already continue one another (each run is offset by its start), so
 * no discontinuity is marked. `parts[i].dir` is the folder the i-th playlist's URIs are relative
 * to. Pure.
 */
export function stitchPlaylists(parts: ReadonlyArray<{ dir: string; playlist: MediaPlaylist }>): {
  playlist: MediaPlaylist;
  moves: Array<{ from: string; to: string }>;
} {
  const segments: Array<{ uri: string; duration: number }> = [];
  const moves: Array<{ from: string; to: string }> = [];
  parts.forEach(({ dir, playlist }, i) => {
    if (playlist.segments.length === 0) throw new Error(`chunk ${i} has no segments`);
    if (!playlist.endList) throw new Error(`chunk ${i}'s playlist is not finished (no ENDLIST)`);
    for (const s of playlist.segments) {
      if (s.uri.includes('/') || s.uri.includes('\\')) throw new Error(`chunk ${i}: unexpected segment URI ${s.uri}`);
      const to = stitchedSegmentName(segments.length);
      moves.push({ from: join(dir, s.uri), to });
      segments.push({ uri: to, duration: s.duration });
    }
  });
  return {
    playlist: {
      version: 3,
      targetDuration: targetDurationFor(segments.map((s) => s.duration)),
      mediaSequence: 0,
      playlistType: 'VOD',
      independentSegments: true,
      segments,
      endList: true,
    },
    moves,
  };
}

/** Moves the chunks' segments of rendition `name` into `<outDir>/<name>/` and writes its index.m3u8. */
export async function stitchRendition(opts: { chunkDirs: readonly string[]; outDir: string; name: string }): Promise<number> {
  const parts = await Promise.all(
    opts.chunkDirs.map(async (chunkDir) => {
      const dir = join(chunkDir, opts.name);
      return { dir, playlist: parseMediaPlaylist(await readFile(join(dir, 'index.m3u8'), 'utf8')) };
    }),
  );
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
