/**
 * Which ingress keys are recordings to transcode, and where their renditions go. Pure.
 */
const VIDEO_EXTENSIONS = new Set(['flv', 'mp4', 'm4v', 'mov', 'mkv', 'webm', 'ts', 'mts', 'm2ts', 'avi', 'mpg', 'mpeg']);

export function isVideoKey(key: string): boolean {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 && VIDEO_EXTENSIONS.has(base.slice(dot + 1).toLowerCase());
}

/**
 * The egress folder of a recording: its file name without the extension, as the reference did
 * (`recordings/test-1508866984.flv` -> `test-1508866984`), so re-running a job writes the same keys.
 */
export function assetName(key: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  const name = dot > 0 ? base.slice(0, dot) : base;
  if (name === '' || name === '.' || name === '..') throw new Error(`key ${JSON.stringify(key)} names no file`);
  return name;
}

/** The file extension to give the downloaded copy (ffmpeg probes by content; this is for people). */
export function extensionOf(key: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase().replace(/[^a-z0-9]/g, '') : 'bin';
}
