import type { Clock } from '../shared/clock';
import type { MediaFetcher } from './media-fetcher';
import type { Results } from './results';
import type { StopSignal } from './stop-signal';
import type { RandomSource } from './think-time';

/** What each virtual viewer gets from the runner. */
export interface ViewerContext {
  /** 0-based viewer number. */
  id: number;
  fetcher: MediaFetcher;
  results: Results;
  clock: Clock;
  stop: StopSignal;
  random: RandomSource;
}

/** One virtual viewer: runs until the stop signal, never throws. */
export type Viewer = (ctx: ViewerContext) => Promise<void>;
