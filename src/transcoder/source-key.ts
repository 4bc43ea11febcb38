import { createHash } from 'node:crypto';

/**
 * Which ingress keys are recordings to transcode, and where their renditions go. Pure.
 */
const VIDEO_EXTENSIONS = new Set(['flv', 'mp4', 'm4v', 'mov', 'mkv', 'webm', 'ts', 'mts', 'm2ts', 'avi', 'mpg', 'mpeg']);

export function isVideoKey(key: string): boolean {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 && VIDEO_EXTENSIONS.has(base.slice(dot + 1).toLowerCase());
}

/** Names the origin gives recordings (`<stream>-<unix time>.mp4`): kept as they are. */
const SIMPLE_KEY = /^([A-Za-z0-9][A-Za-z0-9._-]*)\.mp4$/;
const SLUG_MAX = 80;

/**
 * The egress folder of a recording (key relative to the ingress prefix). Distinct keys always get
 * distinct names:
 *
 * - A key with no folder, of letters, digits, `.`, `_` and `-` and ending in `.mp4` (what the
 *   origin uploads) keeps today's name, its file name without `.mp4`: `test-1508866984.mp4` ->
 *   `test-1508866984`.
 * - Any other key (folders, other extensions, other characters) becomes a readable slug of the
 *   whole key (`/` -> `_`, any other character outside `A-Za-z0-9._-` -> `-`, at most 80
 *   characters) then `~` and the first 16 hex digits of the key's SHA-256: `sub/good.mp4` ->
 *   `sub_good.mp4~<hash>`. `~` never appears in a name of the first kind, so the two kinds cannot
 *   meet, and the hash tells apart keys with the same slug.
 *
 * The same key always gives the same name, so re-running a job overwrites its own asset. Pure.
 */
export function assetName(key: string): string {
  if (key === '' || key.endsWith('/')) throw new Error(`key ${JSON.stringify(key)} names no file`);
  const simple = SIMPLE_KEY.exec(key);
  if (simple) return simple[1];
  const slug = key.replace(/\//g, '_').replace(/[^A-Za-z0-9._-]/g, '-').slice(0, SLUG_MAX);
  const hash = createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16);
  return `${slug}~${hash}`;
}

/** The file extension to give the downloaded copy (ffmpeg probes by content; this is for people). */
export function extensionOf(key: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase().replace(/[^a-z0-9]/g, '') : 'bin';
}
