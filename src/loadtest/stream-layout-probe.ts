import { besideMaster } from '../shared/beside-master';
import { LAYOUT_JSON_MAX_BYTES, parseLayoutJson, type StreamLayout } from '../shared/layout/stream-layout';

/**
 * The layout of the stream under test, from the JSON beside its master (`.m3u8` -> `.json`), for the report. Once,
 * before the viewers start; bounded in time and size. undefined when there is none (not spherecast, an old stream).
 */
export async function probeStreamLayout(masterUrl: string, headers: Record<string, string>, timeoutMs: number): Promise<StreamLayout | undefined> {
  try {
    const res = await fetch(besideMaster(masterUrl, 'json'), { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok || Number(res.headers.get('content-length') ?? 0) > LAYOUT_JSON_MAX_BYTES) return undefined;
    return parseLayoutJson(await res.text());
  } catch {
    return undefined;
  }
}
