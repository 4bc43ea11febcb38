import { isMasterPlaylist, parseMasterPlaylist, parseMediaPlaylist, type MasterPlaylist } from '../shared/hls-playlist';
import { gaussianThinkMs } from './think-time';
import type { Viewer } from './viewer-context';

/**
 * The reference JMeter plan (lab.jmx) as one virtual viewer: a Gaussian think time, the master playlist,
 * then every variant it lists and, in each, every segment (the plan pauses before each segment with a
 * constant timer), and round again until the run stops.
 */
export interface PlanViewerOptions {
  masterUrl: string;
  /** The Gaussian timer's constant delay (ms). */
  thinkDelayMs: number;
  /** The Gaussian timer's deviation (ms). */
  thinkDeviationMs: number;
  /** Pause before each segment request (ms); lab.jmx has a constant 8000 ms timer there. */
  segmentPauseMs: number;
}

export function parseMaster(text: string): MasterPlaylist {
  if (!isMasterPlaylist(text)) throw new Error('not a master playlist');
  return parseMasterPlaylist(text);
}

export function planViewer(o: PlanViewerOptions): Viewer {
  return async ({ id, fetcher, stop, random }) => {
    const signal = stop.abortSignal;
    while (!stop.stopping) {
      await stop.sleep(gaussianThinkMs(random, o.thinkDelayMs, o.thinkDeviationMs));
      if (stop.stopping) break;
      const master = await fetcher.playlist(id, 'master', o.masterUrl, parseMaster, signal);
      if (!master.ok) continue;
      for (const v of master.value.variants) {
        if (stop.stopping) break;
        const variantUrl = new URL(v.uri, o.masterUrl).href;
        const media = await fetcher.playlist(id, 'variant', variantUrl, parseMediaPlaylist, signal);
        if (!media.ok) continue;
        for (const s of media.value.segments) {
          await stop.sleep(o.segmentPauseMs);
          if (stop.stopping) break;
          await fetcher.segment(id, new URL(s.uri, variantUrl).href, signal);
        }
      }
    }
  };
}
