// The layout of a stream's picture: how it maps onto the sphere (projection), how the two eyes share the frame
// (stereo) and where the viewer looks first (initial view). Pure, shared by the origin (publish URL), the writers of
// the JSON beside each master playlist, and the player. Browser-safe: no Node imports.
import { besideMaster } from '../beside-master';
import { scError } from '../errors';

export const PROJECTIONS = ['flat', 'equirect', 'equirect180', 'cubemap', 'eac'] as const;
export type Projection = (typeof PROJECTIONS)[number];

export const STEREO_MODES = ['mono', 'top-bottom', 'side-by-side'] as const;
export type StereoMode = (typeof STEREO_MODES)[number];

/**
 * Degrees. yaw: positive turns right (clockwise seen from above), 0 is the middle of the frame, range [-180, 180].
 * pitch: positive looks up, range [-90, 90].
 */
export interface InitialView {
  yaw: number;
  pitch: number;
}

export interface StreamLayout {
  projection: Projection;
  stereo: StereoMode;
  view?: InitialView;
}

/** What a query string (publish URL, player link) asks for; every field optional. `auto` = the default rule. */
export interface LayoutQuery {
  projection?: Projection | 'auto';
  stereo?: StereoMode;
  yaw?: number;
  pitch?: number;
}

/** The JSON beside a master playlist is tiny; anything bigger is not ours. */
export const LAYOUT_JSON_MAX_BYTES = 4096;

const YAW_LIMIT = 180;
const PITCH_LIMIT = 90;
/** A 2:1 picture within this much (3840x1920, 4096x2048, and encoders that round 2:1 to even sizes). */
const EQUIRECT_ASPECT_TOLERANCE = 0.02;

// Names people type in links, mapped to the canonical ones. The JSON form accepts canonical names only.
const PROJECTION_ALIASES: Readonly<Record<string, Projection | 'auto'>> = {
  auto: 'auto',
  flat: 'flat',
  '2d': 'flat',
  rectilinear: 'flat',
  equirect: 'equirect',
  equirectangular: 'equirect',
  '360': 'equirect',
  sphere: 'equirect',
  equirect180: 'equirect180',
  '180': 'equirect180',
  hequirect: 'equirect180',
  cubemap: 'cubemap',
  c3x2: 'cubemap',
  eac: 'eac',
};

const STEREO_ALIASES: Readonly<Record<string, StereoMode>> = {
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

type Read<T> = { value: T } | { problem: string };

function pick<T>(aliases: Readonly<Record<string, T>>, known: readonly T[], name: string, raw: string): Read<T> {
  const key = raw.trim().toLowerCase();
  if (Object.hasOwn(aliases, key)) return { value: aliases[key] };
  return { problem: `unknown ${name} "${raw.slice(0, 40)}" (use one of: ${known.join(', ')})` };
}

function angle(name: string, raw: string, limit: number): Read<number> {
  // Number('') is 0 and Number('0x10') is 16: only plain decimal numbers are angles.
  const text = raw.trim();
  const value = /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || Math.abs(value) > limit) {
    return { problem: `${name} "${raw.slice(0, 40)}" is not a number of degrees from -${limit} to ${limit}` };
  }
  return { value };
}

/**
 * Reads `projection`, `stereo`, `yaw`, `pitch` from a query string, keeping every valid field and listing the
 * problems with the others (the player shows them and carries on). Empty values count as absent.
 */
export function readLayoutQuery(query: URLSearchParams | string): { layout: LayoutQuery; problems: string[] } {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const layout: LayoutQuery = {};
  const problems: string[] = [];
  const read = <K extends keyof LayoutQuery>(key: K, parse: (raw: string) => Read<NonNullable<LayoutQuery[K]>>): void => {
    const raw = params.get(key);
    if (raw === null || raw.trim() === '') return;
    const result = parse(raw);
    if ('problem' in result) problems.push(result.problem);
    else layout[key] = result.value;
  };
  read('projection', (raw) => pick(PROJECTION_ALIASES, [...PROJECTIONS, 'auto'], 'projection', raw));
  read('stereo', (raw) => pick(STEREO_ALIASES, STEREO_MODES, 'stereo', raw));
  read('yaw', (raw) => angle('yaw', raw, YAW_LIMIT));
  read('pitch', (raw) => angle('pitch', raw, PITCH_LIMIT));
  return { layout, problems };
}

/** Like readLayoutQuery, but refuses (SC_ERR_LAYOUT, naming every bad value) instead of carrying on: for publish. */
export function parseLayoutQuery(query: URLSearchParams | string): LayoutQuery {
  const { layout, problems } = readLayoutQuery(query);
  if (problems.length) throw scError('SC_ERR_LAYOUT', problems.join('; '));
  return layout;
}

/** The default rule (`auto`): a 2:1 picture is mono equirect, anything else (or an unknown size) flat. */
export function autoLayout(width: number, height: number): StreamLayout {
  const is360 = width > 0 && height > 0 && Math.abs(width / height - 2) <= EQUIRECT_ASPECT_TOLERANCE;
  return { projection: is360 ? 'equirect' : 'flat', stereo: 'mono' };
}

/**
 * The layout to use: each field from the first source that has it (e.g. query, then the stream's JSON), else from
 * the auto rule for the picture size. A projection of `auto` means the auto rule even when a later source says
 * otherwise. yaw/pitch are taken per field, so a link can change just the yaw.
 */
export function resolveLayout(
  sources: ReadonlyArray<LayoutQuery | StreamLayout | undefined>,
  picture: { width: number; height: number },
): StreamLayout {
  const field = <K extends 'projection' | 'stereo'>(key: K): LayoutQuery[K] | undefined =>
    sources.find((s) => s?.[key] !== undefined)?.[key];
  const angleOf = (key: 'yaw' | 'pitch'): number | undefined => {
    for (const s of sources) {
      if (!s) continue;
      const v = 'view' in s ? s.view?.[key] : (s as LayoutQuery)[key];
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const auto = autoLayout(picture.width, picture.height);
  const projection = field('projection');
  const layout: StreamLayout = {
    projection: projection === undefined || projection === 'auto' ? auto.projection : projection,
    stereo: field('stereo') ?? auto.stereo,
  };
  const yaw = angleOf('yaw');
  const pitch = angleOf('pitch');
  if (yaw !== undefined || pitch !== undefined) layout.view = { yaw: yaw ?? 0, pitch: pitch ?? 0 };
  return layout;
}

/** Where a master playlist's layout JSON lives: `.m3u8` -> `.json` (see beside-master.ts). */
export function layoutJsonUrl(masterUrl: string): string {
  return besideMaster(masterUrl, 'json');
}

/** The JSON written beside a master playlist: `{"layout":{"projection":...,"stereo":...[,"yaw":..,"pitch":..]}}`. */
export function layoutJson(layout: StreamLayout): string {
  const body: Record<string, unknown> = { projection: layout.projection, stereo: layout.stereo };
  if (layout.view) {
    body.yaw = layout.view.yaw;
    body.pitch = layout.view.pitch;
  }
  return JSON.stringify({ layout: body });
}

const JSON_LAYOUT_KEYS = new Set(['projection', 'stereo', 'yaw', 'pitch']);

/**
 * Parses the JSON beside a master playlist. Bounded and strict: at most LAYOUT_JSON_MAX_BYTES, a `layout` object
 * with canonical `projection` and `stereo` and optional finite `yaw`/`pitch` in range, no other keys in `layout`
 * (other top-level keys are left for later additions). Refuses with SC_ERR_LAYOUT.
 */
export function parseLayoutJson(text: string): StreamLayout {
  // Cheap bound first (UTF-16 units never exceed UTF-8 bytes), then the exact one.
  if (text.length > LAYOUT_JSON_MAX_BYTES || new TextEncoder().encode(text).length > LAYOUT_JSON_MAX_BYTES) {
    throw scError('SC_ERR_LAYOUT', `layout JSON is larger than ${LAYOUT_JSON_MAX_BYTES} bytes`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw scError('SC_ERR_LAYOUT', `not JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(doc) || !isPlainObject(doc.layout)) throw scError('SC_ERR_LAYOUT', 'expected {"layout":{...}}');
  const body = doc.layout;
  const unknown = Object.keys(body).filter((k) => !JSON_LAYOUT_KEYS.has(k));
  if (unknown.length) throw scError('SC_ERR_LAYOUT', `unknown layout field ${JSON.stringify(unknown[0].slice(0, 40))}`);
  const { projection, stereo, yaw, pitch } = body;
  if (typeof projection !== 'string' || !(PROJECTIONS as readonly string[]).includes(projection)) {
    throw scError('SC_ERR_LAYOUT', `layout.projection must be one of ${PROJECTIONS.join(', ')}`);
  }
  if (typeof stereo !== 'string' || !(STEREO_MODES as readonly string[]).includes(stereo)) {
    throw scError('SC_ERR_LAYOUT', `layout.stereo must be one of ${STEREO_MODES.join(', ')}`);
  }
  const layout: StreamLayout = { projection: projection as Projection, stereo: stereo as StereoMode };
  if (yaw !== undefined || pitch !== undefined) {
    layout.view = { yaw: jsonAngle('yaw', yaw, YAW_LIMIT), pitch: jsonAngle('pitch', pitch, PITCH_LIMIT) };
  }
  return layout;
}

function jsonAngle(name: string, value: unknown, limit: number): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > limit) {
    throw scError('SC_ERR_LAYOUT', `layout.${name} must be a number of degrees from -${limit} to ${limit}`);
  }
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** For people: "equirect, top-bottom, starts at yaw 90° pitch 0°". */
export function describeLayout(layout: StreamLayout): string {
  const parts: string[] = [layout.projection, layout.stereo];
  if (layout.view) parts.push(`starts at yaw ${layout.view.yaw}° pitch ${layout.view.pitch}°`);
  return parts.join(', ');
}
