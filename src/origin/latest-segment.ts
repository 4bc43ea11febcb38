/** The newest segment of a media playlist and the EXT-X-MAP (init segment) it needs, as file names in its folder. */
export interface LatestSegment {
  readonly uri: string;
  readonly map?: string;
}

/** Our own playlists name files in their folder; anything else (a path, a URL) is not read. */
const PLAIN_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The last segment listed in a live media playlist (written by either packager, on disk), with the init segment
 * of the EXT-X-MAP in force for it. Pure; undefined when none is listed or its names are not plain file names.
 */
export function latestSegment(playlist: string): LatestSegment | undefined {
  let map: string | undefined;
  let latest: LatestSegment | undefined;
  let pending = false;
  for (const raw of playlist.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MAP:')) map = /URI="([^"]*)"/.exec(line)?.[1];
    else if (line.startsWith('#EXTINF:')) pending = true;
    else if (pending && line && !line.startsWith('#')) {
      latest = { uri: line, ...(map !== undefined ? { map } : {}) };
      pending = false;
    }
  }
  if (!latest || !PLAIN_FILE.test(latest.uri) || (latest.map !== undefined && !PLAIN_FILE.test(latest.map))) return undefined;
  return latest;
}
