// Which HLS implementation plays the stream. Pure, so the choice is tested without a browser.
import type { EnginePreference } from './player-options';

export type Engine = 'hls.js' | 'native' | 'none';

export interface EngineSupport {
  /** hls.js reports MediaSource (or ManagedMediaSource) with H.264 support. */
  mse: boolean;
  /** The video element plays HLS itself (Safari, iOS; recent Chrome says "maybe"). */
  nativeHls: boolean;
}

/**
 * hls.js wherever MSE exists (it gives the quality menu, stats and error recovery); native HLS only where there is
 * no MSE (iPhone before iOS 17) or when asked for explicitly.
 */
export function chooseEngine(support: EngineSupport, preference: EnginePreference): Engine {
  if (preference === 'native' && support.nativeHls) return 'native';
  if (preference === 'hls.js' && support.mse) return 'hls.js';
  if (support.mse) return 'hls.js';
  if (support.nativeHls) return 'native';
  return 'none';
}
