// Reads the origin's /stat JSON, the VOD listing and each VOD asset's card into entries the index page shows and
// links to the player. Pure and tolerant: fields may be missing or of the wrong type, and a bad entry is skipped
// rather than breaking the page.
import { PROJECTIONS, STEREO_MODES, type Projection, type StereoMode, type StreamLayout } from '../shared/layout/stream-layout';

export interface LiveEntry {
  name: string;
  /** Absolute URL of the stream's playlist. */
  url: string;
  resolution?: string;
  codecs?: string;
  viewers?: number;
  uptimeSeconds?: number;
  /** ISO 8601. */
  startedAt?: string;
  /** Absolute URL of its thumbnail, once the origin has one. */
  thumbnail?: string;
  layout?: StreamLayout;
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

/** What the card beside a VOD asset (transcoder asset-card.ts) says, as the index shows it. */
export interface VodCard {
  title?: string;
  /** ISO 8601, and whether it is when the recording started or when the asset was published. */
  date?: { iso: string; kind: 'recorded' | 'published' };
  durationSeconds?: number;
  resolution?: string;
  layout?: StreamLayout;
  /** e.g. ["1280×640", "640×320"], highest first. */
  renditions: string[];
  /** Absolute URL. */
  poster?: string;
}

/** Larger is not a card of ours. */
export const ASSET_CARD_MAX_BYTES = 64 * 1024;
/** More renditions than any ladder has are not listed. */
const MAX_RENDITIONS = 16;

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

function isoDate(value: unknown): string | undefined {
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

function angleOf(value: unknown, limit: number): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit ? value : undefined;
}

/** A layout as /stat (`view: {yaw, pitch}`) or the card (`yaw`, `pitch`) gives it; undefined unless it is whole. */
export function layoutOf(value: unknown): StreamLayout | undefined {
  const l = record(value);
  if (!l || !(PROJECTIONS as readonly unknown[]).includes(l.projection) || !(STEREO_MODES as readonly unknown[]).includes(l.stereo)) return undefined;
  const layout: StreamLayout = { projection: l.projection as Projection, stereo: l.stereo as StereoMode };
  const view = record(l.view) ?? l;
  const yaw = angleOf(view.yaw, 180);
  const pitch = angleOf(view.pitch, 90);
  if (yaw !== undefined || pitch !== undefined) layout.view = { yaw: yaw ?? 0, pitch: pitch ?? 0 };
  return layout;
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
      startedAt: isoDate(s.startedAt),
      thumbnail: text(s.thumbnail) && absolute(text(s.thumbnail)!, statUrl),
      layout: layoutOf(s.layout),
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

/** Where the card of the asset behind a VOD master lives: `asset.json` in the master's folder. */
export function assetCardUrl(masterUrl: string): string {
  return new URL('asset.json', masterUrl).href;
}

/** Reads an asset card (see VodCard); `cardUrl` resolves the poster's file name. */
export function parseAssetCard(json: unknown, cardUrl: string): VodCard {
  const c = record(json) ?? {};
  const width = count(c.width);
  const height = count(c.height);
  const recorded = isoDate(c.recordedAt);
  const published = isoDate(c.publishedAt);
  const renditions: string[] = [];
  for (const r of Array.isArray(c.renditions) ? c.renditions.slice(0, MAX_RENDITIONS) : []) {
    const w = count(record(r)?.width);
    const h = count(record(r)?.height);
    if (w && h) renditions.push(`${w}×${h}`);
  }
  const poster = text(c.poster);
  return {
    title: text(c.title),
    date: recorded ? { iso: recorded, kind: 'recorded' } : published ? { iso: published, kind: 'published' } : undefined,
    durationSeconds: count(c.duration),
    resolution: width && height ? `${width}×${height}` : undefined,
    layout: layoutOf(c.layout),
    renditions,
    poster: poster && absolute(poster, cardUrl),
  };
}

/** For people: "360°", "180° · 3D side-by-side", "cubemap 360°", "flat". */
export function layoutLabel(layout: StreamLayout): string {
  const projection = { flat: 'flat', equirect: '360°', equirect180: '180°', cubemap: 'cubemap 360°', eac: 'EAC 360°' }[layout.projection];
  return layout.stereo === 'mono' ? projection : `${projection} · 3D ${layout.stereo}`;
}

/** 42 -> "0:42", 3723 -> "1:02:03". */
export function formatDuration(seconds: number | undefined): string | undefined {
  if (seconds === undefined) return undefined;
  const s = Math.round(seconds);
  const two = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
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
