/// <reference lib="dom" />
// Fetches a small text file published beside a master playlist (the layout JSON, the viewport listing). Bounded: a
// time limit and a size limit while reading, so a wrong or hostile server cannot hold the player up or make it read
// megabytes. Any failure is a note for the caller, never an exception.

const FETCH_TIMEOUT_MS = 5000;

export type BoundedText = { text: string } | { note: string };

export async function fetchBoundedText(url: string, maxBytes: number, what: string): Promise<BoundedText> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS);
  try {
    const res = await fetch(url, { signal: abort.signal, cache: 'no-cache', credentials: 'same-origin' });
    if (!res.ok || !res.body) return { note: `no ${what} (HTTP ${res.status})` };
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > maxBytes) return { note: `${what} too large (${declared} bytes)` };
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        void reader.cancel();
        return { note: `${what} larger than ${maxBytes} bytes` };
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    return { text: new TextDecoder().decode(bytes) };
  } catch (err) {
    return { note: abort.signal.aborted ? `${what} timed out` : (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
