import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpherecastError } from '../shared/errors';
import { parseMediaPlaylist } from '../shared/hls-playlist';
import type { StreamLayout } from '../shared/layout/stream-layout';
import { withSampleEntryBoxes } from '../shared/mp4/sample-entry-boxes';
import { sphericalBoxes } from '../shared/mp4/spherical-boxes';

/** Our own init segments are a few KB; anything larger is not what ffmpeg wrote for us. */
const MAX_INIT_BYTES = 1024 * 1024;

/**
 * Writes the layout's Spherical Video V2 boxes into every init segment a rendition's playlist maps (ffmpeg 5.1's
 * HLS muxer drops them), so the renditions carry the layout themselves.
 */
export async function addLayoutBoxes(dir: string, layout: StreamLayout): Promise<void> {
  const boxes = sphericalBoxes(layout);
  if (boxes.length === 0) return;
  const playlist = parseMediaPlaylist(await readFile(join(dir, 'index.m3u8'), 'utf8'));
  const maps = new Set(playlist.segments.map((s) => s.map).filter((m): m is string => m !== undefined));
  for (const map of maps) {
    if (map.includes('/') || map.includes('\\')) throw new SpherecastError('SC_ERR_TRANSCODE', [dir, `unexpected init segment URI ${map}`]);
    const file = join(dir, map);
    const init = await readFile(file);
    if (init.length > MAX_INIT_BYTES) throw new SpherecastError('SC_ERR_TRANSCODE', [file, `init segment of ${init.length} bytes`]);
    let rewritten: Buffer;
    try {
      rewritten = withSampleEntryBoxes(init, boxes);
    } catch (err) {
      throw new SpherecastError('SC_ERR_TRANSCODE', [file, `cannot add the layout boxes: ${(err as Error).message}`]);
    }
    await writeFile(file, rewritten);
  }
}
