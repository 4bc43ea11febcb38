import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { scError } from '../shared/errors';

/**
 * The edge's own TLS listener (TLS_CERT and TLS_KEY set): HTTP/2 and HTTP/1.1 on one port, chosen
 * by ALPN, because Apple's LL-HLS clients require HTTP/2. Node's compatibility layer hands both to
 * the same request handler as request/response pairs. The raw-socket fast path cannot read inside
 * TLS, so every request here takes the full path.
 *
 * node:http2 has no closeIdleConnections(), so this keeps what draining needs: HTTP/2 sessions get
 * a GOAWAY (streams in flight finish), HTTP/1.1 connections are ended once they carry no request.
 */
export interface SecureServerOptions {
  certFile: string;
  keyFile: string;
  /** Idle HTTP/1.1 keep-alive connections and idle HTTP/2 sessions are closed after this. */
  idleTimeoutMs: number;
  maxHeaderBytes: number;
}


function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw scError('SC_ERR_CONFIG', `${what} ${file} cannot be read: ${(err as Error).message}`);
  }
}

export class SecureServer {
  readonly server: Http2SecureServer;
  private readonly sessions = new Set<Http2Session>();
  /** HTTP/1.1 connections and how many requests each is answering now. */
  private readonly http1 = new Map<TLSSocket, number>();
  private draining = false;

  constructor(opts: SecureServerOptions, handler: (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) => void) {
    const cert = readPem(opts.certFile, 'TLS_CERT');
    const key = readPem(opts.keyFile, 'TLS_KEY');
    this.server = createSecureServer(
      {
        cert,
        key,
        allowHTTP1: true,
        // The HTTP/2 counterpart of MAX_HEADER_BYTES (the decoded header list); HTTP/1.1 here keeps node's 16 KiB.
        settings: { maxHeaderListSize: opts.maxHeaderBytes },
      },
      (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) => {
        if (req.httpVersionMajor < 2) this.track(req.socket as TLSSocket, res as ServerResponse);
        handler(req, res);
      },
    );
    this.server.setTimeout(opts.idleTimeoutMs);
    this.server.on('session', (session: Http2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
      session.setTimeout(opts.idleTimeoutMs, () => session.close());
      if (this.draining) session.close();
    });
    this.server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') return;
      this.http1.set(socket, 0);
      socket.once('close', () => this.http1.delete(socket));
    });
  }

  private track(socket: TLSSocket, res: ServerResponse): void {
    this.http1.set(socket, (this.http1.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const open = (this.http1.get(socket) ?? 1) - 1;
      if (!this.http1.has(socket)) return;
      this.http1.set(socket, open);
      if (this.draining && open === 0) socket.end();
    });
  }

  /** From now on: GOAWAY to every HTTP/2 session, and HTTP/1.1 connections end when idle. */
  drain(): void {
    this.draining = true;
    for (const session of this.sessions) session.close();
    for (const [socket, open] of this.http1) if (open === 0) socket.end();
  }

  destroyAll(): void {
    for (const session of this.sessions) session.destroy();
    for (const socket of this.http1.keys()) socket.destroy();
  }
}

/** Whether an answer on this request may carry connection-specific headers (HTTP/2 forbids them). */
export function isHttp1(req: { httpVersionMajor: number }): boolean {
  return req.httpVersionMajor < 2;
}
