import { httpStatusOf, scError, type ErrorCode } from '../../shared/errors';
import { parseDirectives } from './blocking-request';
import type { LiveRendition } from './live-rendition';

export interface RenditionAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer | string;
}

export interface ResponderOptions {
  /** Cache lifetime of parts, segments and init segments (seconds): they never change once made. */
  readonly mediaMaxAge: number;
}

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';

function error(code: ErrorCode, detail: string): RenditionAnswer {
  // An error says nothing about the same request a moment later: never cached.
  const message = scError(code, detail).message;
  return { status: httpStatusOf(code), headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify({ code, message }) };
}

/**
 * Answers a request for one file of a live LL-HLS rendition (draft-pantos-hls-rfc8216bis 6.2.5 and
 * its server profile for caching): the playlist, held while a blocking reload waits; a part or
 * segment, held while it is the hinted part. Cache-Control lets a CDN cache every answer: a
 * blocking playlist response six target durations (the same request always gets the same text),
 * a plain one half a target duration, media long.
 */
export async function answerRendition(
  rendition: LiveRendition,
  file: string,
  query: URLSearchParams,
  opts: ResponderOptions,
  signal?: AbortSignal,
): Promise<RenditionAnswer> {
  const target = rendition.targetDuration;
  const holdMs = 3 * target * 1000;
  if (file === 'index.m3u8') {
    const parsed = parseDirectives(query);
    if (!parsed.ok) return error('SC_ERR_HLS_DIRECTIVE', parsed.reason);
    const answer = await rendition.playlist(parsed.directives, holdMs, signal);
    if (answer.kind === 'too-far') return error('SC_ERR_HLS_DIRECTIVE', 'the segment or part asked for is too far ahead of the live edge');
    if (answer.kind === 'timeout') return error('SC_ERR_HLS_NOT_READY', `the segment or part asked for did not appear within ${holdMs / 1000} s`);
    const blocking = parsed.directives.msn !== undefined;
    const maxAge = blocking ? 6 * target : Math.max(1, Math.floor(target / 2));
    return { status: 200, headers: { 'content-type': PLAYLIST_TYPE, 'cache-control': `max-age=${maxAge}` }, body: answer.text };
  }
  const bytes = await rendition.file(file, holdMs, signal);
  if (!bytes) return error('SC_ERR_NOT_FOUND', `${file} is not (or no longer) part of this stream`);
  const type = file.endsWith('.mp4') ? 'video/mp4' : 'video/iso.segment';
  return { status: 200, headers: { 'content-type': type, 'cache-control': `max-age=${opts.mediaMaxAge}` }, body: bytes };
}
