/// <reference lib="dom" />
// Fetches the layout JSON published beside a master playlist (see layoutJsonUrl). Bounded: a time limit and a size
// limit while reading, so a wrong or hostile server cannot hold the player up or make it read megabytes. Any
// failure is a note, not an error: the player then uses the auto rule.
import { LAYOUT_JSON_MAX_BYTES, layoutJsonUrl, parseLayoutJson, type StreamLayout } from '../shared/layout/stream-layout';

const FETCH_TIMEOUT_MS = 5000;

export type LayoutLookup = { layout: StreamLayout } | { note: string };

export async function fetchStreamLayout(masterUrl: string): Promise<LayoutLookup> {
  let url: string;
  try {
    url = layoutJsonUrl(masterUrl);
  } catch (err) {
    return { note: (err as Error).message };
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS);
  try {
    const res = await fetch(url, { signal: abort.signal, cache: 'no-cache', credentials: 'same-origin' });
    if (!res.ok || !res.body) return { note: `no layout JSON (HTTP ${res.status})` };
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > LAYOUT_JSON_MAX_BYTES) return { note: `layout JSON too large (${declared} bytes)` };
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > LAYOUT_JSON_MAX_BYTES) {
        void reader.cancel();
        return { note: `layout JSON larger than ${LAYOUT_JSON_MAX_BYTES} bytes` };
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    return { layout: parseLayoutJson(new TextDecoder().decode(bytes)) };
  } catch (err) {
    return { note: abort.signal.aborted ? 'layout JSON timed out' : (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
