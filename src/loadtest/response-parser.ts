/**
 * Pure: an HTTP/1.1 response read from the bytes of one keep-alive connection (RFC 9112), as much as a
 * virtual viewer needs: the status, X-Media-Cache-Status, whether the connection stays open, and the body
 * (counted and dropped, or kept for a playlist). Bodies are framed by Content-Length, chunked coding or
 * the connection's close (6.3). Untrusted bytes: the head, the header count, a chunk-size line, the
 * trailers and a kept body are bounded, and a malformed status line, field name, framing or value
 * that is read throws a ResponseParseError (values of other fields are skipped, not checked).
 */
export interface ResponseLimits {
  /** Status line plus header lines, and the trailer section likewise. */
  maxHeadBytes: number;
  maxHeaders: number;
  /** A body that is kept (a playlist) may not be longer. */
  maxKeptBody: number;
}

export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = { maxHeadBytes: 64 * 1024, maxHeaders: 128, maxKeptBody: 8 * 1024 * 1024 };

export class ResponseParseError extends Error {
  override readonly name = 'ResponseParseError';
  readonly code = 'HPE_INVALID_RESPONSE';
}

/** The response's body ended before its framing said it would (a connection closed early). */
export class ResponseIncompleteError extends Error {
  override readonly name = 'ResponseIncompleteError';
  readonly code = 'ECONNRESET';
}

const enum State {
  Head,
  Fixed,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DIGITS = /^\d{1,15}$/;
/** A chunk-size line: hex size, optional extensions (ignored). */
const MAX_CHUNK_LINE = 1024;
/** Interim (1xx) responses before the final one. */
const MAX_INTERIM = 8;

export class ResponseParser {
  status = 0;
  /** X-Media-Cache-Status, upper case, or undefined. */
  cacheStatus: string | undefined;
  /** Body bytes received (after chunked decoding). */
  bodyBytes = 0;
  /** False when the connection must close after this response. */
  keepAlive = true;

  private state = State.Done;
  private keepBody = false;
  private head: Buffer | null = null;
  private kept: Buffer[] = [];
  private remaining = 0;
  private line = '';
  private trailerBytes = 0;
  private interim = 0;

  constructor(private readonly limits: ResponseLimits = DEFAULT_RESPONSE_LIMITS) {}

  /** Ready for the next response on the connection; `keepBody` keeps its body for body(). */
  reset(keepBody: boolean): void {
    this.state = State.Head;
    this.keepBody = keepBody;
    this.status = 0;
    this.cacheStatus = undefined;
    this.bodyBytes = 0;
    this.keepAlive = true;
    this.head = null;
    this.kept = [];
    this.line = '';
    this.trailerBytes = 0;
    this.interim = 0;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** The kept body (reset(true)). */
  body(): Buffer {
    return this.kept.length === 1 ? this.kept[0]! : Buffer.concat(this.kept);
  }

  /**
   * Reads bytes of the connection from `offset`; returns where the response ended in `chunk`, or -1 when
   * it needs more. Bytes after the end belong to no request (no pipelining): the caller decides.
   */
  feed(chunk: Buffer, offset = 0): number {
    let i = offset;
    while (i < chunk.length || this.state === State.Done) {
      switch (this.state) {
        case State.Done:
          return i;
        case State.Head:
          i = this.readHead(chunk, i);
          if (i < 0) return -1;
          break;
        case State.Fixed: {
          const n = Math.min(this.remaining, chunk.length - i);
          this.take(chunk, i, n);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.Done;
          break;
        }
        case State.UntilClose: {
          this.take(chunk, i, chunk.length - i);
          return -1;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, chunk.length - i);
          this.take(chunk, i, n);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = State.ChunkDataEnd;
            this.line = '';
          }
          break;
        }
        case State.ChunkSize:
        case State.ChunkDataEnd:
        case State.Trailers: {
          const lf = chunk.indexOf(10, i);
          const end = lf < 0 ? chunk.length : lf + 1;
          this.line += chunk.toString('latin1', i, end);
          i = end;
          if (this.state === State.Trailers) {
            if (this.line.length + this.trailerBytes > this.limits.maxHeadBytes) throw new ResponseParseError('trailer section too large');
          } else if (this.line.length > MAX_CHUNK_LINE) throw new ResponseParseError('chunk-size line too long');
          if (lf >= 0) this.endLine();
          break;
        }
      }
    }
    return -1;
  }

  /** The connection closed: true if that ends this response (a body framed by the close), else it was cut short. */
  closed(): boolean {
    if (this.state === State.UntilClose) {
      this.state = State.Done;
      return true;
    }
    return this.state === State.Done;
  }

  private take(chunk: Buffer, at: number, n: number): void {
    if (n === 0) return;
    this.bodyBytes += n;
    if (!this.keepBody) return;
    if (this.bodyBytes > this.limits.maxKeptBody) throw new ResponseParseError('body too large to keep');
    // A copy: the socket may reuse its read buffer.
    this.kept.push(Buffer.from(chunk.subarray(at, at + n)));
  }

  private endLine(): void {
    const l = this.line.endsWith('\r\n') ? this.line.slice(0, -2) : this.line.slice(0, -1);
    this.line = '';
    if (this.state === State.ChunkDataEnd) {
      if (l !== '') throw new ResponseParseError('chunk data longer than its size');
      this.state = State.ChunkSize;
      return;
    }
    if (this.state === State.Trailers) {
      this.trailerBytes += l.length + 2;
      if (l === '') this.state = State.Done;
      else if (l.indexOf(':') <= 0) throw new ResponseParseError('malformed trailer field');
      return;
    }
    const m = /^([0-9A-Fa-f]{1,12})[\t ]*(?:;[^\r\n]*)?$/.exec(l);
    if (!m) throw new ResponseParseError('malformed chunk size');
    const size = parseInt(m[1]!, 16);
    if (size === 0) {
      this.state = State.Trailers;
    } else {
      this.remaining = size;
      this.state = State.ChunkData;
    }
  }

  private readHead(chunk: Buffer, at: number): number {
    let buf: Buffer;
    let start: number;
    let end: number;
    if (this.head === null) {
      end = chunk.indexOf(CRLFCRLF, at);
      buf = chunk;
      start = at;
      if (end < 0) {
        this.keepPartialHead(chunk.subarray(at));
        return -1;
      }
    } else {
      const before = this.head.length;
      this.keepPartialHead(chunk.subarray(at));
      buf = this.head;
      start = 0;
      end = buf.indexOf(CRLFCRLF, Math.max(0, before - 3));
      if (end < 0) return -1;
      this.head = null;
      if (end + 4 > this.limits.maxHeadBytes) throw new ResponseParseError('response head too large');
      // Where the head ends in this chunk.
      const consumed = end + 4 - before;
      this.parseHead(buf.toString('latin1', 0, end));
      return at + consumed;
    }
    if (end - start + 4 > this.limits.maxHeadBytes) throw new ResponseParseError('response head too large');
    this.parseHead(buf.toString('latin1', start, end));
    return end + 4;
  }

  private keepPartialHead(part: Buffer): void {
    const length = (this.head?.length ?? 0) + part.length;
    // The CRLFCRLF may still come in the next read: allow its 4 bytes beyond the limit.
    if (length > this.limits.maxHeadBytes + 4) throw new ResponseParseError('response head too large');
    this.head = this.head === null ? Buffer.from(part) : Buffer.concat([this.head, part]);
  }

  private value(line: string, colon: number): string {
    const v = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(v)) throw new ResponseParseError('malformed header value');
    return v;
  }

  private parseHead(text: string): void {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) throw new ResponseParseError('malformed status line');
    if (lines.length - 1 > this.limits.maxHeaders) throw new ResponseParseError('too many header fields');
    const status = Number(m[2]);
    const http10 = m[1] === '0';
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let close = http10;
    let cacheStatus: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]!;
      const colon = l.indexOf(':');
      if (colon <= 0) throw new ResponseParseError('malformed header field');
      const name = l.slice(0, colon);
      if (!TOKEN.test(name)) throw new ResponseParseError('malformed header name');
      // Values are checked where they are used (below): the others are skipped, not read.
      switch (name.length) {
        case 10:
          if (name.toLowerCase() === 'connection') {
            const tokens = this.value(l, colon).toLowerCase().split(',').map((x) => x.trim());
            if (tokens.includes('close')) close = true;
            else if (http10 && tokens.includes('keep-alive')) close = false;
          }
          break;
        case 14:
          if (name.toLowerCase() === 'content-length') {
            // A list of identical values is one value (RFC 9110 8.6); differing ones are an error.
            for (const v of this.value(l, colon).split(',')) {
              const s = v.trim();
              if (!DIGITS.test(s)) throw new ResponseParseError('malformed content-length');
              const n = Number(s);
              if (contentLength >= 0 && contentLength !== n) throw new ResponseParseError('conflicting content-length');
              contentLength = n;
            }
          }
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') {
            transferEncoding = true;
            const codings = this.value(l, colon).toLowerCase().split(',').map((x) => x.trim());
            chunked = codings[codings.length - 1] === 'chunked';
          }
          break;
        case 20:
          if (name.toLowerCase() === 'x-media-cache-status') cacheStatus = this.value(l, colon).toUpperCase();
          break;
      }
    }
    if (status < 200) {
      if (status === 101) throw new ResponseParseError('unexpected protocol switch');
      if (++this.interim > MAX_INTERIM) throw new ResponseParseError('too many interim responses');
      // An interim response: the final one follows on the same connection.
      return;
    }
    this.status = status;
    this.cacheStatus = cacheStatus;
    this.keepAlive = !close;
    // RFC 9112 6.3: no body for 204 and 304; Transfer-Encoding overrides Content-Length, and a
    // response framed by neither (or by a final coding other than chunked) ends at the close.
    if (status === 204 || status === 304) {
      this.state = State.Done;
    } else if (transferEncoding) {
      if (chunked) {
        this.state = State.ChunkSize;
        // A message with both framings must not be reused (6.3, item 3).
        if (contentLength >= 0) this.keepAlive = false;
      } else {
        this.state = State.UntilClose;
        this.keepAlive = false;
      }
    } else if (contentLength >= 0) {
      this.remaining = contentLength;
      this.state = contentLength === 0 ? State.Done : State.Fixed;
    } else {
      this.state = State.UntilClose;
      this.keepAlive = false;
    }
  }
}
