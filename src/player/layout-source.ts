/// <reference lib="dom" />
// Fetches the layout JSON published beside a master playlist (see layoutJsonUrl), bounded (bounded-fetch.ts). Any
// failure is a note, not an error: the player then uses the auto rule.
import { LAYOUT_JSON_MAX_BYTES, layoutJsonUrl, parseLayoutJson, type StreamLayout } from '../shared/layout/stream-layout';
import { fetchBoundedText } from './bounded-fetch';

export type LayoutLookup = { layout: StreamLayout } | { note: string };

export async function fetchStreamLayout(masterUrl: string): Promise<LayoutLookup> {
  let url: string;
  try {
    url = layoutJsonUrl(masterUrl);
  } catch (err) {
    return { note: (err as Error).message };
  }
  const got = await fetchBoundedText(url, LAYOUT_JSON_MAX_BYTES, 'layout JSON');
  if ('note' in got) return got;
  try {
    return { layout: parseLayoutJson(got.text) };
  } catch (err) {
    return { note: (err as Error).message };
  }
}
