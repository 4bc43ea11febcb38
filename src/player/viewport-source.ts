/// <reference lib="dom" />
// Fetches the viewport listing published beside a VOD master (`<master>.viewport.json`), bounded (bounded-fetch.ts).
// Most streams have none: any failure is a note, and the player plays the master as it is.
import { parseViewportListing, VIEWPORT_LISTING_MAX_BYTES, viewportListingUrl, type ViewportListing } from '../shared/layout/viewport-listing';
import { fetchBoundedText } from './bounded-fetch';

/** The listing with its playlists as absolute URLs. */
export interface ViewportSource {
  readonly listing: ViewportListing;
  readonly masterUrl: string;
  /** Per rendition, in listing order. */
  readonly renditionUrls: readonly string[];
}

export async function fetchViewportSource(masterUrl: string): Promise<ViewportSource | { note: string }> {
  let url: string;
  try {
    url = new URL(viewportListingUrl(masterUrl), location.href).href;
  } catch (err) {
    return { note: (err as Error).message };
  }
  const got = await fetchBoundedText(url, VIEWPORT_LISTING_MAX_BYTES, 'viewport listing');
  if ('note' in got) return got;
  try {
    const listing = parseViewportListing(got.text);
    return { listing, masterUrl: new URL(listing.master, url).href, renditionUrls: listing.renditions.map((r) => new URL(r.uri, url).href) };
  } catch (err) {
    return { note: (err as Error).message };
  }
}
