import { validHostValue } from '../shared/http/host-header';

/**
 * A deliberately narrow HTTP/1.1 request-head reader for the cache-hit fast path. It recognises
 * only the plainest requests: `GET` or `HEAD` of an origin-form target over HTTP/1.1, one Host,
 * CRLF line endings, printable ASCII, and none of the headers that change what is answered
 * (body framing, ranges, validators, Expect, Upgrade, Connection other than keep-alive). Every
 * other request is `complex` and goes, bytes untouched, to Node's own HTTP parser, which is the
 * one that answers errors. So this reader never has to be right about anything unusual: it only
 * has to never call an unusual request simple.
 */
export type RequestHead =
  | { kind: 'incomplete' }
  | { kind: 'complex' }
  | {
      kind: 'simple';
      method: 'GET' | 'HEAD';
      target: string;
      secret: string | undefined;
      /** Accept-Encoding field lines joined, or undefined without one (then any coding is acceptable). */
      acceptEncoding: string | undefined;
      end: number;
    };

/** Headers whose presence means the request is not a plain fetch of the cached object. */
const COMPLEX_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'range',
  'if-range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'expect',
  'upgrade',
  'http2-settings',
  'te',
  'trailer',
]);

const CRLFCRLF = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Visible ASCII, space and tab only: no other control characters, nothing above 0x7e.
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
const TARGET = /^\/[\x21-\x7e]*$/;

/**
 * Reads the request head starting at `start` of `buf`. `secretHeader` (lower case, or '') names
 * the header whose value is returned as `secret`. A head longer than `maxBytes` is `complex`, so
 * that Node's parser answers it with 431.
 */
export function readRequestHead(buf: Buffer, start: number, maxBytes: number, secretHeader: string): RequestHead {
  const stop = buf.indexOf(CRLFCRLF, start);
  if (stop < 0) return buf.length - start > maxBytes ? { kind: 'complex' } : { kind: 'incomplete' };
  const end = stop + 4;
  if (end - start > maxBytes) return { kind: 'complex' };
  const lines = buf.toString('latin1', start, stop).split('\r\n');

  const requestLine = lines[0]!;
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0) return { kind: 'complex' };
  const method = requestLine.slice(0, sp1);
  if (method !== 'GET' && method !== 'HEAD') return { kind: 'complex' };
  if (requestLine.slice(sp2 + 1) !== 'HTTP/1.1') return { kind: 'complex' };
  const target = requestLine.slice(sp1 + 1, sp2);
  if (!TARGET.test(target)) return { kind: 'complex' };

  let hosts = 0;
  let secret: string | undefined;
  let secrets = 0;
  let acceptEncoding: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return { kind: 'complex' };
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return { kind: 'complex' };
    const value = line.slice(colon + 1);
    // Also rejects obs-fold continuation lines (they start with whitespace, so have no token name)
    // and bare CR or LF inside a line.
    if (!FIELD_VALUE.test(value)) return { kind: 'complex' };
    const lower = name.toLowerCase();
    if (COMPLEX_HEADERS.has(lower)) return { kind: 'complex' };
    if (lower === 'host') {
      hosts++;
      if (!validHostValue(value)) return { kind: 'complex' };
    } else if (lower === 'connection') {
      if (value.trim().toLowerCase() !== 'keep-alive') return { kind: 'complex' };
    }
    if (lower === 'accept-encoding') acceptEncoding = acceptEncoding === undefined ? value.trim() : `${acceptEncoding}, ${value.trim()}`;
    if (secretHeader !== '' && lower === secretHeader) {
      secrets++;
      secret = value.trim();
    }
  }
  if (hosts !== 1 || secrets > 1) return { kind: 'complex' };
  return { kind: 'simple', method, target, secret, acceptEncoding, end };
}
