import { scError } from '../shared/errors';
import { parseLayoutQuery, readLayoutQuery, type LayoutQuery } from '../shared/layout/stream-layout';
import type { PublishQuery } from './publish-auth';

/** One STREAM_LAYOUTS entry: streams whose name matches the pattern get this layout. */
export interface LayoutRule {
  readonly pattern: RegExp;
  readonly layout: LayoutQuery;
}

/** A glob (`*` any run, `?` one character) over stream names, anchored. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/**
 * Pure: STREAM_LAYOUTS entries `pattern=projection[/stereo[/yaw[/pitch]]]` (e.g. `cam360-*=equirect/top-bottom`).
 * Throws SC_ERR_CONFIG naming the entry that is wrong.
 */
export function parseLayoutRules(entries: readonly string[]): LayoutRule[] {
  return entries.map((entry) => {
    const eq = entry.indexOf('=');
    const glob = entry.slice(0, eq);
    const [projection = '', stereo, yaw, pitch] = entry.slice(eq + 1).split('/');
    if (eq < 1 || !/^[A-Za-z0-9_*?-]{1,64}$/.test(glob)) throw scError('SC_ERR_CONFIG', `STREAM_LAYOUTS entry "${entry}": expected pattern=projection[/stereo[/yaw[/pitch]]]`);
    const params = new URLSearchParams({ projection, ...(stereo ? { stereo } : {}), ...(yaw ? { yaw } : {}), ...(pitch ? { pitch } : {}) });
    const { layout, problems } = readLayoutQuery(params);
    if (problems.length) throw scError('SC_ERR_CONFIG', `STREAM_LAYOUTS entry "${entry}": ${problems.join('; ')}`);
    return { pattern: globToRegExp(glob), layout };
  });
}

/**
 * The layout a publish asks for, most specific first: its URL (`?projection=equirect&stereo=top-bottom`),
 * the first STREAM_LAYOUTS rule matching its name, then DEFAULT_PROJECTION. Resolved against the picture size
 * once the video configuration arrives (the `auto` rule needs it). Bad values in the URL refuse the publish
 * (SC_ERR_LAYOUT), as a bad key does.
 */
export function requestedLayout(name: string, query: PublishQuery, rules: readonly LayoutRule[], defaultProjection: LayoutQuery['projection']): LayoutQuery[] {
  const params = new URLSearchParams();
  for (const key of ['projection', 'stereo', 'yaw', 'pitch']) {
    const v = query[key];
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined) params.set(key, value);
  }
  return [parseLayoutQuery(params), rules.find((r) => r.pattern.test(name))?.layout ?? {}, { projection: defaultProjection }];
}
