import { VIEWPORT_RENDITIONS_MAX } from '../layout/viewport-listing';
import { integer } from './parsers';

/**
 * Setting parser of a count of viewport renditions (VIEWPORT_RENDITIONS, LIVE_VIEWPORT_RENDITIONS): 0, or 2 to
 * what the listing may hold (a single biased rendition would leave every other direction worse).
 */
export const viewportCount = (raw: unknown): number => {
  const n = integer({ min: 0, max: VIEWPORT_RENDITIONS_MAX })(raw);
  if (n === 1) throw new Error('must be 0 (none) or at least 2');
  return n;
};
