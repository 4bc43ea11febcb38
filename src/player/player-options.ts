// What the player page is asked to do, read from its query string. Pure: no DOM, so it is tested in node.

import { readLayoutQuery, type LayoutQuery, type StereoMode } from '../shared/layout/stream-layout';

export type StereoLayout = StereoMode;
export type EnginePreference = 'auto' | 'hls.js' | 'native';

export interface PlayerOptions {
  /** Absolute http(s) URL of the HLS playlist, or undefined when none (or an unusable one) was given. */
  url?: string;
  /** Layout fields the link sets; they override the stream's layout JSON (see resolveLayout). */
  layout: LayoutQuery;
  /** Which eye of a stereo stream the ordinary screen shows (`eye=right` to check the other one). */
  screenEye: 'left' | 'right';
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

const EYE_ALIASES: Record<string, 'left' | 'right'> = { left: 'left', l: 'left', right: 'right', r: 'right' };

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
  const { layout, problems } = readLayoutQuery(params);
  for (const problem of problems) warnings.push(`${problem[0].toUpperCase()}${problem.slice(1)}; using the stream's own layout.`);
  return {
    url,
    urlError: error,
    layout,
    screenEye: choice(params, 'eye', EYE_ALIASES, 'left', warnings),
    live: flag(params.get('live'), false),
    muted: flag(params.get('muted'), true),
    autoplay: flag(params.get('autoplay'), true),
    showStats: flag(params.get('stats'), false),
    engine: choice(params, 'engine', ENGINE_ALIASES, 'auto', warnings),
    warnings,
  };
}
