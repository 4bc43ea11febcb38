// What spherecast publishes beside a master playlist shares its name: `<name>.json` (the layout), `<name>.jpg`
// (the thumbnail or poster) and `<name>.viewport.json` (its orientation-biased renditions, when made), so a player
// that has only the master's URL finds them all. Pure and browser-safe.
import { scError } from './errors';

/**
 * The same URL or path with the `.m3u8` (any case) at the end of the path replaced by `.<extension>`; a query
 * string or fragment is kept. Refuses (SC_ERR_LAYOUT) anything that is not a .m3u8.
 *   besideMaster('/hls/test.m3u8', 'jpg') -> /hls/test.jpg, (https://cdn.example/vod/a/MANIFEST.M3U8?t=1, 'json') -> .../MANIFEST.json?t=1
 */
export function besideMaster(masterUrl: string, extension: 'json' | 'jpg' | 'viewport.json'): string {
  const m = /^([^?#]*[^/?#])\.m3u8([?#][\s\S]*)?$/i.exec(masterUrl);
  if (!m) throw scError('SC_ERR_LAYOUT', `"${masterUrl.slice(0, 200)}" is not the URL of a .m3u8 playlist`);
  return `${m[1]}.${extension}${m[2] ?? ''}`;
}
