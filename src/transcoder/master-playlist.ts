import { writeMasterPlaylist, type Variant } from '../shared/hls-playlist';
import type { RenditionPlan } from './ladder';
import type { MeasuredRendition } from './rendition-measure';
import { VIEWPORT_MASTER_NAME } from './viewport-renditions';

/** The reference's master playlist name (players and the CDN are pointed at it). */
export const MASTER_NAME = 'MANIFEST.M3U8';
export const CUBEMAP_MASTER_NAME = 'MANIFEST_CUBEMAP.M3U8';
export const AUDIO_GROUP = 'aac';

/**
 * Master playlists from measured renditions: video variants ascending by bandwidth, each with the
 * demuxed AAC rendition as its AUDIO group (so BANDWIDTH and AVERAGE-BANDWIDTH add the audio's,
 * as RFC 8216 requires), then the audio-only variant. One master per projection present, and one of the viewport
 * renditions when there are any (never in the main master: see viewport-renditions.ts). Pure.
 */
export function buildMasterPlaylists(plan: RenditionPlan, measured: readonly MeasuredRendition[]): Map<string, string> {
  const byName = new Map(measured.map((m) => [m.name, m]));
  const audio = byName.get(plan.audio.name);
  if (!audio || audio.kind !== 'audio') throw new Error(`audio rendition ${plan.audio.name} was not measured`);
  const audioUri = `${audio.name}/index.m3u8`;
  const masters = new Map<string, string>();
  const sets: Array<[string, (r: RenditionPlan['video'][number]) => boolean]> = [
    [MASTER_NAME, (r) => r.projection === 'equirect' && r.viewportYaw === undefined],
    [CUBEMAP_MASTER_NAME, (r) => r.projection === 'cubemap'],
    [VIEWPORT_MASTER_NAME, (r) => r.viewportYaw !== undefined],
  ];
  for (const [file, wanted] of sets) {
    const renditions = plan.video.filter(wanted);
    if (renditions.length === 0) continue;
    const variants: Variant[] = renditions
      .map((r) => {
        const m = byName.get(r.name);
        if (!m || m.kind !== 'video') throw new Error(`video rendition ${r.name} was not measured`);
        return {
          uri: `${m.name}/index.m3u8`,
          bandwidth: m.peakBandwidth + audio.peakBandwidth,
          averageBandwidth: m.averageBandwidth + audio.averageBandwidth,
          resolution: { width: m.width!, height: m.height! },
          codecs: [m.codec, audio.codec],
          frameRate: m.frameRate,
          audioGroup: AUDIO_GROUP,
        };
      })
      .sort((a, b) => a.bandwidth - b.bandwidth);
    variants.push({
      uri: audioUri,
      bandwidth: audio.peakBandwidth,
      averageBandwidth: audio.averageBandwidth,
      codecs: [audio.codec],
      audioGroup: AUDIO_GROUP,
    });
    masters.set(
      file,
      writeMasterPlaylist({
        independentSegments: true,
        audio: [{ groupId: AUDIO_GROUP, name: 'audio', uri: audioUri, channels: audio.channels, isDefault: true }],
        variants,
      }),
    );
  }
  return masters;
}
