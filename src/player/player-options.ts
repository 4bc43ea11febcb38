// What the player page is asked to do, read from its query string. Pure: no DOM, so it is tested in node.

export type StereoLayout = 'mono' | 'top-bottom' | 'side-by-side';
export type Projection = '360' | 'flat';
export type EnginePreference = 'auto' | 'hls.js' | 'native';

export interface PlayerOptions {
  /** Absolute http(s) URL of the HLS playlist, or undefined when none (or an unusable one) was given. */
  url?: string;
  stereo: StereoLayout;
  projection: Projection;
  /** The link says this is a live stream: a missing playlist means "not started yet", so wait for it. */
  live: boolean;
  /** Start muted (the default: browsers only autoplay muted video). */
  muted: boolean;
  autoplay: boolean;
  showStats: boolean;
  engine: EnginePreference;
  /** Problems with the query string a person should see (unknown values fall back to defaults). */
  warnings: string[];
}

const STEREO_ALIASES: Record<string, StereoLayout> = {
  mono: 'mono',
  '2d': 'mono',
  'top-bottom': 'top-bottom',
  topbottom: 'top-bottom',
  tb: 'top-bottom',
  ou: 'top-bottom',
  'over-under': 'top-bottom',
  'side-by-side': 'side-by-side',
  sidebyside: 'side-by-side',
  sbs: 'side-by-side',
  lr: 'side-by-side',
  'left-right': 'side-by-side',
};

const PROJECTION_ALIASES: Record<string, Projection> = {
  '360': '360',
  equirectangular: '360',
  sphere: '360',
  flat: 'flat',
  '2d': 'flat',
  rectilinear: 'flat',
};

const ENGINE_ALIASES: Record<string, EnginePreference> = {
  auto: 'auto',
  hls: 'hls.js',
  'hls.js': 'hls.js',
  hlsjs: 'hls.js',
  native: 'native',
};

/** Truthy flag values; a bare `?live` counts as true. */
function flag(value: string | null, fallback: boolean): boolean {
  if (value === null) return fallback;
  const v = value.trim().toLowerCase();
  if (v === '' || v === '1' || v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'no' || v === 'off') return false;
  return fallback;
}

function choice<T>(params: URLSearchParams, name: string, aliases: Record<string, T>, fallback: T, warnings: string[]): T {
  const raw = params.get(name);
  if (raw === null || raw.trim() === '') return fallback;
  const found = aliases[raw.trim().toLowerCase()];
  if (found === undefined) {
    const known = [...new Set(Object.values(aliases))].join(', ');
    warnings.push(`Unknown ${name} "${raw}" (use one of: ${known}); using ${String(fallback)}.`);
    return fallback;
  }
  return found;
}

/**
 * Resolves the `url` parameter against the page address, so `?url=/hls/x.m3u8` and `?url=x.m3u8` work from any
 * path prefix. Only http(s) is accepted: a `javascript:` or `data:` URL in a shared link must never be loaded.
 */
export function resolveStreamUrl(raw: string | null, pageHref: string): { url?: string; error?: string } {
  if (raw === null || raw.trim() === '') return { error: 'No stream given: add ?url= with the address of an HLS playlist (.m3u8).' };
  let resolved: URL;
  try {
    resolved = new URL(raw.trim(), pageHref);
  } catch {
    return { error: `"${raw}" is not a valid URL.` };
  }
  if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') {
    return { error: `Only http and https stream URLs can be played, not ${resolved.protocol}` };
  }
  return { url: resolved.href };
}

export function parsePlayerOptions(search: string, pageHref: string): PlayerOptions & { urlError?: string } {
  const params = new URLSearchParams(search);
  const warnings: string[] = [];
  const { url, error } = resolveStreamUrl(params.get('url') ?? params.get('src'), pageHref);
  return {
    url,
    urlError: error,
    stereo: choice(params, 'stereo', STEREO_ALIASES, 'mono', warnings),
    projection: choice(params, 'projection', PROJECTION_ALIASES, '360', warnings),
    live: flag(params.get('live'), false),
    muted: flag(params.get('muted'), true),
    autoplay: flag(params.get('autoplay'), true),
    showStats: flag(params.get('stats'), false),
    engine: choice(params, 'engine', ENGINE_ALIASES, 'auto', warnings),
    warnings,
  };
}
