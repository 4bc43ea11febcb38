import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { DEFAULT_RESPONSE_LIMITS, ResponseIncompleteError, ResponseParser } from './response-parser';

/**
 * One keep-alive HTTP/1.1 connection of a virtual viewer, as a browser keeps one: GET requests one
 * after another (no pipelining; a request made while one is in flight waits its turn), written as one
 * prebuilt string and read with the bounded ResponseParser. This costs a few allocations per request,
 * where a general client's request and stream objects cost several times the edge's own answer.
 * A connection that closed, timed out or broke is opened again for the next request; a request sent
 * on a reused connection that the server closed before any byte of the answer is sent once more, as
 * browsers do for idempotent requests.
 */
export interface HttpEndpoint {
  host: string;
  port: number;
  tls: boolean;
}

export interface HttpAnswer {
  status: number;
  cacheStatus: string | undefined;
  /** Body bytes received. */
  bytes: number;
  /** The body, when kept. */
  body: Buffer | undefined;
}

interface InFlight {
  request: string;
  keepBody: boolean;
  resolve: (a: HttpAnswer) => void;
  reject: (err: Error) => void;
  /** Sent on a connection that had answered before. */
  reused: boolean;
  /** Any byte of the answer arrived. */
  answered: boolean;
  retried: boolean;
}

/** A code that error-kind.ts maps to its kind. */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

export class HttpConnection {
  private socket: Socket | null = null;
  private connected = false;
  private served = 0;
  private current: InFlight | null = null;
  private readonly queue: InFlight[] = [];
  private readonly parser = new ResponseParser(DEFAULT_RESPONSE_LIMITS);
  private lastError: Error | null = null;
  private closedForGood = false;

  /**
   * `headerLines`: every request header after the request line (Host first), each ending in CRLF, plus the
   * final CRLF. `timeoutMs`: connect and idle timeout (no byte for that long while a request waits fails it;
   * an idle connection is closed after it).
   */
  constructor(
    private readonly endpoint: HttpEndpoint,
    private readonly headerLines: string,
    private readonly timeoutMs: number,
  ) {}

  /** GETs `path` (origin-form); never rejects with anything but a coded Error. */
  get(path: string, keepBody: boolean): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      if (this.closedForGood) {
        reject(codedError('connection closed', 'ECONNABORTED'));
        return;
      }
      const f: InFlight = { request: `GET ${path} HTTP/1.1\r\n${this.headerLines}`, keepBody, resolve, reject, reused: false, answered: false, retried: false };
      if (this.current === null) this.send(f);
      else this.queue.push(f);
    });
  }

  /** Ends the connection now; requests in flight or waiting fail. */
  destroy(): void {
    this.closedForGood = true;
    const waiting = this.queue.splice(0);
    for (const f of waiting) f.reject(codedError('connection closed', 'ECONNABORTED'));
    this.socket?.destroy();
  }

  private send(f: InFlight): void {
    this.current = f;
    this.parser.reset(f.keepBody);
    f.reused = this.socket !== null && this.served > 0;
    const socket = this.socket ?? this.open();
    socket.write(f.request, 'latin1');
  }

  private open(): Socket {
    const { host, port, tls } = this.endpoint;
    const socket = tls ? tlsConnect({ host, port, servername: host, ALPNProtocols: ['http/1.1'] }) : netConnect({ host, port });
    this.socket = socket;
    this.connected = false;
    this.served = 0;
    this.lastError = null;
    socket.setNoDelay(true);
    socket.setTimeout(this.timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => (this.connected = true));
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('timeout', () => {
      this.lastError = this.connected ? codedError('no answer within the timeout', 'ETIMEDOUT') : codedError('connect timeout', 'CONNECT_TIMEOUT');
      socket.destroy();
    });
    socket.on('error', (err) => (this.lastError = err));
    socket.on('close', () => this.onClose(socket));
    return socket;
  }

  private onData(socket: Socket, chunk: Buffer): void {
    const f = this.current;
    if (f === null || socket !== this.socket) {
      // Bytes nobody asked for: the connection is out of step.
      socket.destroy();
      return;
    }
    f.answered = true;
    let end: number;
    try {
      end = this.parser.feed(chunk);
    } catch (err) {
      this.lastError = err as Error;
      socket.destroy();
      return;
    }
    if (end < 0) return;
    const p = this.parser;
    const answer: HttpAnswer = { status: p.status, cacheStatus: p.cacheStatus, bytes: p.bodyBytes, body: f.keepBody ? p.body() : undefined };
    this.served++;
    // Bytes beyond the answer belong to no request: this connection is not reused.
    if (!p.keepAlive || end < chunk.length) {
      this.socket = null;
      socket.destroy();
    }
    this.finish(answer, null);
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = null;
    const f = this.current;
    if (f === null) return;
    if (this.lastError === null && this.parser.closed()) {
      const p = this.parser;
      this.finish({ status: p.status, cacheStatus: p.cacheStatus, bytes: p.bodyBytes, body: f.keepBody ? p.body() : undefined }, null);
      return;
    }
    if (f.reused && !f.answered && !f.retried && !this.closedForGood) {
      // The server closed the idle connection as the request went out: ask again on a new one.
      f.retried = true;
      this.send(f);
      return;
    }
    this.finish(null, this.lastError ?? new ResponseIncompleteError('connection closed before the answer was complete'));
  }

  private finish(answer: HttpAnswer | null, err: Error | null): void {
    const f = this.current!;
    this.current = null;
    const next = this.queue.shift();
    if (next !== undefined) this.send(next);
    if (answer !== null) f.resolve(answer);
    else f.reject(err!);
  }
}
