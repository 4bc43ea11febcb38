import { writeLivePlaylist, type PlaylistSegment } from '../packager/media-playlist';
import type { JournalSegment } from './vod-journal';

/**
 * Pure: the HLS VOD playlist of an instant VOD (EXT-X-PLAYLIST-TYPE:VOD, #EXT-X-ENDLIST), written
 * by the live playlist writer with no parts: every segment kept, its init segment mapped, and
 * EXT-X-DISCONTINUITY where the codec configuration (so the init segment) changed.
 */
export function vodPlaylistText(segments: readonly JournalSegment[]): string {
  let previousInit = segments[0]?.init;
  const listed: PlaylistSegment[] = segments.map((s) => {
    const discontinuity = s.init !== previousInit;
    previousInit = s.init;
    return { msn: s.msn, duration: s.duration, uri: `${s.msn}.m4s`, mapUri: s.init, discontinuity, programDateTime: new Date(s.pdt), parts: [] };
  });
  // RFC 8216 4.3.3.1: each EXTINF, rounded to the nearest integer, at most the target duration.
  const targetDuration = Math.max(1, ...segments.map((s) => Math.round(s.duration)));
  return writeLivePlaylist({ targetDuration, discontinuitySequence: 0, segments: listed, renditionReports: [], ended: true, playlistType: 'VOD' });
}
