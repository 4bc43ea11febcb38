import type { SourceContainer } from './source-container';

/**
 * ffmpeg input options that keep it to the one demuxer and the one local file it was given:
 * `-f` (no probing by content), `-protocol_whitelist file` (no network, pipes or subfile), and
 * `-max_pixels` so no decoder allocates a frame above the cap. The same for ffprobe and ffmpeg. Pure.
 */
export function safeInputArgs(container: SourceContainer, maxPixels: number): string[] {
  return ['-f', container.demuxer, '-protocol_whitelist', 'file', '-max_pixels', String(Math.floor(maxPixels))];
}

/** `file:` in front, so a path with a colon in it is never read as another protocol. */
export function fileUrl(path: string): string {
  return `file:${path}`;
}
