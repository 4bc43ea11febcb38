import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../shared/clock';
import { ageSeconds } from './cache-policy';
import { makeNotAcceptable, type CachedObject } from './cached-object';
import { acceptsCoding } from '../shared/http/accept-encoding';
import type { CacheStatus } from './edge-metrics';
import type { Served } from './proxy-cache';
import { readRequestHead } from './request-head';
import { secretEquals } from '../shared/secret-equal';

export interface FastPathOptions {
  /** The target the cache and the proxy see (the playback token taken out), or undefined: the full path answers. */
  admit(target: string): string | undefined;
  /** The fresh cached object for a request target, or undefined. */
  fresh(target: string): CachedObject | undefined;
  /** The proxy's full answer for a target that is not a fresh hit (miss, expired, stale...). */
  serve(target: string): Promise<Served>;
  /** False for targets the full path must see: malformed ones, the edge's own endpoints, player files. */
  proxied(target: string): boolean;
  /** Called once per answered request with the body bytes written. */
  onServed(status: CacheStatus, bodyBytes: number): void;
  onError(err: unknown, target: string): void;
  clock: Clock;
  maxHeaderBytes: number;
  /** A new connection must send its first request head within this (the HTTP server's headersTimeout). */
  headersTimeoutMs: number;
  /** Idle keep-alive connections are closed after this, like the HTTP server's keepAliveTimeout. */
  keepAliveTimeoutMs: number;
  /** Lower-case header name and value the client tier must send; null when not required. */
  secret: { header: string; value: string } | null;
}

/** A response head, and for a small body the head and body in one Buffer: one plain write per answer. */
interface Answer {
  head: Buffer;
  whole: Buffer | null;
}

/** An object's answers for one Age and Date, by cache status (and 'close' for a last answer). */
interface AnswerMemo {
  age: number;
  date: string;
  answers: Map<string, Answer | null>;
}

/**
 * Bodies up to this size are copied once a second behind their head (live parts and playlists, the
 * LL-HLS load), so that each of their answers is one write of one Buffer, without the cork/writev
 * bookkeeping per answer; larger ones (whole segments, VOD) are written head and body as they are.
 */
const WHOLE_ANSWER_MAX_BODY = 64 * 1024;

interface OwnListeners {
  onData: (b: Buffer) => void;
  onTimeout: () => void;
  onEnd: () => void;
  onError: () => void;
  onClose: () => void;
}

// Anything a raw header line could be broken by. Upstream values arrive through undici's parser
// and the edge's own come from validated config, so this is a last guard, not a path in use.
const SAFE_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const UNSAFE_ANSWER = Buffer.from('HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 27\r\nconnection: close\r\n\r\nupstream header not usable\n');

function acceptable(obj: CachedObject, acceptEncoding: string | undefined): boolean {
  return obj.contentEncoding === undefined || acceptsCoding(acceptEncoding, obj.contentEncoding);
}

/**
 * Answers plain requests for proxied objects straight on the socket, before Node's HTTP machinery:
 * one parse of a GET/HEAD head, one cache lookup, one write of an answer built once per object,
 * cache status and second (a small body is copied behind its head; a large one is written as it is
 * after the head, no copy). This is where the edge spends its time under load, and Node's generic
 * request and response objects cost more than the answer itself. Misses wait for the proxy
 * (coalesced like every other request) with the connection's later requests held back, so answers
 * keep their order; all waiters for one object get the same answer Buffers.
 *
 * Every connection starts here. The first request that is not plain (a range, a conditional
 * request, another method, an unusual or split head, a malformed target, the edge's own endpoints
 * and player files) hands the connection, with its unread bytes, to the HTTP server's own
 * connection listener for the rest of its life, so the full path (validation, errors, 304/206,
 * the player, the endpoints) is unchanged and is the only one that answers anything unusual.
 */
export class FastPath {
  private readonly opts: FastPathOptions;
  private readonly sockets = new Set<Socket>();
  /** Connections waiting on the proxy for an answer: not idle, so not ended on close. */
  private readonly busy = new Set<Socket>();
  private readonly memos = new WeakMap<CachedObject, AnswerMemo>();
  private readonly secret: Buffer | null;
  private readonly keepAliveHeader: string;
  private server: Server | null = null;
  private httpListeners: Array<(socket: Socket) => void> = [];
  private draining = false;
  private dateSecond = -1;
  private dateText = '';

  constructor(opts: FastPathOptions) {
    this.opts = opts;
    this.secret = opts.secret ? Buffer.from(opts.secret.value) : null;
    this.keepAliveHeader = `keep-alive: timeout=${Math.max(1, Math.floor(opts.keepAliveTimeoutMs / 1000))}\r\n`;
  }

  /** Puts the fast path in front of the server's connection listeners (call before it listens). */
  attach(server: Server): void {
    this.server = server;
    this.httpListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => this.accept(socket));
  }

  /** From now on every request takes the full path (which closes connections while draining). */
  drain(): void {
    this.draining = true;
  }

  /** Ends the idle connections held here; busy ones end after their answer (drain() first). */
  endIdle(): void {
    for (const socket of this.sockets) if (!this.busy.has(socket)) socket.end();
  }

  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  get connections(): number {
    return this.sockets.size;
  }

  private accept(socket: Socket): void {
    if (this.draining) {
      this.handOff(socket, null, null);
      return;
    }
    this.sockets.add(socket);
    // The first request must arrive within the header timeout; after it, the keep-alive timeout.
    let keptAlive = false;
    const take = (buf: Buffer): void => {
      let offset = 0;
      while (offset < buf.length) {
        if (socket.destroyed) return;
        const head = readRequestHead(buf, offset, this.opts.maxHeaderBytes, this.opts.secret?.header ?? '');
        // A head split across reads also goes to the full path, whose header timeout covers slow
        // senders; clients send a head in one piece, so this costs nothing in practice.
        if (head.kind !== 'simple' || this.draining || !this.allowed(head.secret)) {
          this.handOff(socket, buf.subarray(offset), own);
          return;
        }
        const target = this.opts.admit(head.target);
        if (target === undefined) {
          this.handOff(socket, buf.subarray(offset), own);
          return;
        }
        // Only targets that passed validation are ever stored, so a hit needs no check of its own.
        const fresh = this.opts.fresh(target);
        // A coded object the client does not accept is answered (406) by the full path.
        const hit = fresh !== undefined && acceptable(fresh, head.acceptEncoding) ? fresh : undefined;
        const hitAnswer = hit === undefined ? null : this.answerOf(hit, 'HIT', false);
        if (!keptAlive) {
          keptAlive = true;
          socket.setTimeout(this.opts.keepAliveTimeoutMs);
        }
        if (hit !== undefined && hitAnswer !== null) {
          this.write(socket, hitAnswer, hit, head.method, 'HIT');
          offset = head.end;
          continue;
        }
        if ((fresh !== undefined && hit === undefined) || !this.opts.proxied(target)) {
          this.handOff(socket, buf.subarray(offset), own);
          return;
        }
        offset = head.end;
        // Not a fresh hit: hold this connection's later requests until the proxy has answered.
        socket.pause();
        this.busy.add(socket);
        const rest = buf.subarray(offset);
        const { method, acceptEncoding } = head;
        this.opts
          .serve(target)
          .then((served) => {
            this.busy.delete(socket);
            if (socket.destroyed) return;
            const obj = acceptable(served.object, acceptEncoding) ? served.object : makeNotAcceptable(served.object, this.opts.clock.now());
            // Draining: this answer is the connection's last, so the client reconnects elsewhere.
            const last = this.draining;
            // Every waiter of a held or coalesced request gets the same object: one head for all of them.
            const answer = obj === served.object ? this.answerOf(obj, served.cacheStatus, last) : this.answerFor(obj, served.cacheStatus, ageSeconds(obj.storedAt, obj.upstreamAge, this.opts.clock.now()), this.date(), last);
            if (answer === null) {
              socket.end(UNSAFE_ANSWER);
              this.opts.onServed(served.cacheStatus, 0);
              return;
            }
            this.write(socket, answer, obj, method, served.cacheStatus);
            if (last) socket.end();
            else take(rest);
          })
          .catch((err: unknown) => {
            this.busy.delete(socket);
            this.opts.onError(err, target);
            socket.destroy();
          });
        return;
      }
      this.resumeWhenWritable(socket);
    };
    const onTimeout = (): void => {
      socket.destroy();
    };
    const onEnd = (): void => {
      socket.end();
    };
    const onError = (): void => {
      socket.destroy();
    };
    const onClose = (): void => {
      this.sockets.delete(socket);
    };
    const own: OwnListeners = { onData: take, onTimeout, onEnd, onError, onClose };
    socket.setTimeout(this.opts.headersTimeoutMs);
    socket.on('data', take);
    socket.on('timeout', onTimeout);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  /** Reads on once the socket's answers are flushed: a client that does not read is not read from. */
  private resumeWhenWritable(socket: Socket): void {
    if (socket.writableNeedDrain) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    } else {
      socket.resume();
    }
  }

  private allowed(secret: string | undefined): boolean {
    if (this.secret === null) return true;
    if (secret === undefined) return false;
    return secretEquals(Buffer.from(secret, 'latin1'), this.secret);
  }

  private write(socket: Socket, answer: Answer, obj: CachedObject, method: 'GET' | 'HEAD', status: CacheStatus): void {
    if (method === 'HEAD') {
      socket.write(answer.head);
      this.opts.onServed(status, 0);
      return;
    }
    if (answer.whole !== null) {
      socket.write(answer.whole);
    } else {
      socket.cork();
      socket.write(answer.head);
      socket.write(obj.body);
      socket.uncork();
    }
    this.opts.onServed(status, obj.body.length);
  }

  private date(): string {
    const second = Math.floor(this.opts.clock.now() / 1000);
    if (second !== this.dateSecond) {
      this.dateSecond = second;
      this.dateText = new Date(second * 1000).toUTCString();
    }
    return this.dateText;
  }

  /**
   * An object's answer, memoised per object and cache status until its Age or the Date changes: every
   * hit in that second, and every waiter of a held or coalesced request, gets the same Buffers.
   */
  private answerOf(obj: CachedObject, status: CacheStatus, last: boolean): Answer | null {
    const date = this.date();
    const age = ageSeconds(obj.storedAt, obj.upstreamAge, this.opts.clock.now());
    let memo = this.memos.get(obj);
    if (memo === undefined || memo.age !== age || memo.date !== date) {
      memo = { age, date, answers: new Map() };
      this.memos.set(obj, memo);
    }
    const key = last ? `${status} close` : status;
    let answer = memo.answers.get(key);
    if (answer === undefined) {
      answer = this.answerFor(obj, status, age, date, last);
      memo.answers.set(key, answer);
    }
    return answer;
  }

  private answerFor(obj: CachedObject, status: CacheStatus, age: number, date: string, last: boolean): Answer | null {
    const head = this.buildHead(obj, status, age, date, last);
    if (head === null) return null;
    return { head, whole: obj.body.length <= WHOLE_ANSWER_MAX_BODY ? Buffer.concat([head, obj.body]) : null };
  }

  /** The same headers as the full path's writeObject, in one Buffer; null if a value is unsafe raw. */
  private buildHead(obj: CachedObject, status: CacheStatus, age: number, date: string, last = false): Buffer | null {
    const pairs = [...obj.baseHeaders, 'age', String(age), 'x-media-cache-status', status];
    if (obj.contentType !== undefined) pairs.push('content-type', obj.contentType);
    pairs.push('content-length', String(obj.body.length), 'date', date);
    let text = `HTTP/1.1 ${obj.status} ${STATUS_CODES[obj.status] ?? 'Unknown'}\r\n`;
    for (let i = 0; i < pairs.length; i += 2) {
      const value = pairs[i + 1]!;
      if (!SAFE_HEADER_VALUE.test(value)) return null;
      text += `${pairs[i]}: ${value}\r\n`;
    }
    text += last ? 'connection: close\r\n\r\n' : `connection: keep-alive\r\n${this.keepAliveHeader}\r\n`;
    return Buffer.from(text, 'latin1');
  }

  /**
   * Gives the connection to the HTTP server's own listeners with `unread` put back in front, the
   * way a connection is injected into node:http (server.emit('connection')).
   */
  private handOff(socket: Socket, unread: Buffer | null, own: OwnListeners | null): void {
    if (own !== null) {
      socket.removeListener('data', own.onData);
      socket.removeListener('timeout', own.onTimeout);
      socket.removeListener('end', own.onEnd);
      socket.removeListener('error', own.onError);
      socket.removeListener('close', own.onClose);
      socket.setTimeout(0);
      this.sockets.delete(socket);
      socket.pause();
      if (unread !== null && unread.length > 0) socket.unshift(unread);
    }
    for (const listener of this.httpListeners) listener.call(this.server, socket);
    if (own !== null) process.nextTick(() => socket.resume());
  }
}
