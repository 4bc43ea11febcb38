import { writeMasterPlaylist, type Variant } from '../shared/hls-playlist';
import type { Projection, RenditionPlan } from './ladder';
import type { MeasuredRendition } from './rendition-measure';

/** The reference's master playlist name (players and the CDN are pointed at it). */
export const MASTER_NAME = 'MANIFEST.M3U8';
export const CUBEMAP_MASTER_NAME = 'MANIFEST_CUBEMAP.M3U8';
export const AUDIO_GROUP = 'aac';

/**
 * Master playlists from measured renditions: video variants ascending by bandwidth, each with the
 * demuxed AAC rendition as its AUDIO group (so BANDWIDTH and AVERAGE-BANDWIDTH add the audio's,
 * as RFC 8216 requires), then the audio-only variant. One master per projection present. Pure.
 */
export function buildMasterPlaylists(plan: RenditionPlan, measured: readonly MeasuredRendition[]): Map<string, string> {
  const byName = new Map(measured.map((m) => [m.name, m]));
  const audio = byName.get(plan.audio.name);
  if (!audio || audio.kind !== 'audio') throw new Error(`audio rendition ${plan.audio.name} was not measured`);
  const audioUri = `${audio.name}/index.m3u8`;
  const masters = new Map<string, string>();
  for (const [projection, file] of [['equirect', MASTER_NAME], ['cubemap', CUBEMAP_MASTER_NAME]] as Array<[Projection, string]>) {
    const renditions = plan.video.filter((r) => r.projection === projection);
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
