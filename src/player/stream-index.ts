// Reads the origin's /stat JSON and the VOD listing into entries the index page links to the player. Pure and
// tolerant: fields may be missing or of the wrong type, and a bad entry is skipped rather than breaking the page.

export interface LiveEntry {
  name: string;
  /** Absolute URL of the stream's playlist. */
  url: string;
  resolution?: string;
  codecs?: string;
  viewers?: number;
  uptimeSeconds?: number;
}

export interface VodEntry {
  name: string;
  url: string;
  /** An instant VOD: the publish as packaged live, until the transcoder's ladder replaces it. */
  instant?: true;
  /** When its publish started (ISO 8601), for telling two publishes of a name apart. */
  startedAt?: string;
  /** Seconds. */
  duration?: number;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function count(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function absolute(href: string, base: string): string | undefined {
  try {
    const u = new URL(href, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** The list inside a listing: `{streams: [...]}` / `{assets: [...]}`, or a bare array. */
function listOf(json: unknown, keys: string[]): unknown[] {
  if (Array.isArray(json)) return json;
  const obj = record(json);
  if (!obj) return [];
  for (const key of keys) if (Array.isArray(obj[key])) return obj[key] as unknown[];
  return [];
}

export function parseStat(json: unknown, statUrl: string): LiveEntry[] {
  const out: LiveEntry[] = [];
  for (const item of listOf(json, ['streams', 'live'])) {
    const s = record(item);
    const name = text(s?.name);
    if (!s || !name) continue;
    // Without a master path the origin's layout is /hls/<name>.m3u8.
    const url = absolute(text(s.master) ?? text(s.url) ?? `/hls/${encodeURIComponent(name)}.m3u8`, statUrl);
    if (!url) continue;
    const video = record(s.video);
    const audio = record(s.audio);
    const width = count(video?.width);
    const height = count(video?.height);
    const codecs = [text(video?.codec), text(audio?.codec)].filter((c): c is string => c !== undefined);
    out.push({
      name,
      url,
      resolution: width && height ? `${width}×${height}` : undefined,
      codecs: codecs.length ? codecs.join(' + ') : undefined,
      viewers: count(s.clients),
      uptimeSeconds: count(s.uptimeSeconds),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function parseVodIndex(json: unknown, indexUrl: string): VodEntry[] {
  const out: VodEntry[] = [];
  for (const item of listOf(json, ['assets', 'vod'])) {
    const a = record(item);
    const name = text(a?.name);
    const master = text(a?.master) ?? text(a?.url);
    if (!name || !master) continue;
    const url = absolute(master, indexUrl);
    if (!url) continue;
    const started = text(a?.startedAt);
    const duration = count(a?.duration);
    out.push({
      name,
      url,
      ...(a?.kind === 'instant' ? { instant: true as const } : {}),
      ...(started && !Number.isNaN(Date.parse(started)) ? { startedAt: started } : {}),
      ...(duration !== undefined ? { duration } : {}),
    });
  }
  // By name; publishes of one name newest first.
  return out.sort((a, b) => a.name.localeCompare(b.name) || (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}

/**
 * Link from the index page to the player for a stream. Relative (player.html?...), so it works under any path
 * prefix; the stream URL is made path-absolute when it is on the page's own origin, so links survive a host name
 * change (edge behind CloudFront), and stays absolute otherwise.
 */
export function playerLink(streamUrl: string, pageHref: string, opts: { live?: boolean; playerPage?: string } = {}): string {
  const page = new URL(pageHref);
  const stream = new URL(streamUrl, pageHref);
  const url = stream.origin === page.origin ? stream.pathname + stream.search : stream.href;
  const params = new URLSearchParams({ url });
  if (opts.live) params.set('live', '1');
  return `${opts.playerPage ?? 'player.html'}?${params.toString()}`;
}

export function formatUptime(seconds: number | undefined): string | undefined {
  if (seconds === undefined) return undefined;
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}
