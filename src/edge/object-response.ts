import type { IncomingMessage, ServerResponse } from 'node:http';
import { ageSeconds } from './cache-policy';
import { makeNotAcceptable, type CachedObject } from './cached-object';
import { acceptsCoding } from '../shared/http/accept-encoding';
import { isNotModified } from './conditional-request';
import { ifRangeMatches, parseRange } from './range-request';
import type { CacheStatus } from './edge-metrics';

/**
 * Writes a cached (or just fetched) object to one client: HEAD without a body, 304 for a
 * matching conditional request, 206/416 for a Range, otherwise the whole object. Headers that
 * never change per object were flattened when it was stored; only Age, the cache status and
 * the range/length headers are added here. Returns the body bytes written.
 */
function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function writeObject(
  req: IncomingMessage,
  res: ServerResponse,
  stored: CachedObject,
  cacheStatus: CacheStatus,
  now: number,
  closeConnection: boolean,
): number {
  const obj = stored.contentEncoding !== undefined && !acceptsCoding(req.headers['accept-encoding'], stored.contentEncoding) ? makeNotAcceptable(stored, now) : stored;
  const headers = obj.baseHeaders.slice();
  headers.push('age', String(ageSeconds(obj.storedAt, obj.upstreamAge, now)), 'x-media-cache-status', cacheStatus);
  if (closeConnection) headers.push('connection', 'close');
  const head = req.method === 'HEAD';
  let status = obj.status;
  let body = obj.body;

  if (obj.status === 200) {
    if (isNotModified(req.headers, obj.etag, obj.lastModified)) {
      res.writeHead(304, headers);
      res.end();
      return 0;
    }
    const rangeHeader = req.headers.range;
    if (rangeHeader !== undefined && ifRangeMatches(headerText(req.headers['if-range']), obj.etag, obj.lastModified)) {
      const range = parseRange(rangeHeader, obj.body.length);
      if (range.kind === 'unsatisfiable') {
        headers.push('content-range', `bytes */${obj.body.length}`, 'content-type', 'text/plain; charset=utf-8', 'content-length', '0');
        res.writeHead(416, headers);
        res.end();
        return 0;
      }
      if (range.kind === 'range') {
        status = 206;
        body = obj.body.subarray(range.start, range.end + 1);
        headers.push('content-range', `bytes ${range.start}-${range.end}/${obj.body.length}`);
      }
    }
  }
  if (obj.contentType !== undefined) headers.push('content-type', obj.contentType);
  headers.push('content-length', String(body.length));
  res.writeHead(status, headers);
  if (head) {
    res.end();
    return 0;
  }
  res.end(body);
  return body.length;
}
