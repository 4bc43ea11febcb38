import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { httpStatusOf, scError } from '../shared/errors';
import { hostHeaderProblem } from '../shared/http/host-header';
import { secretEquals } from '../shared/secret-equal';
import { tlsFilesOf, type EdgeConfig } from './config';
import type { ClusterLink } from './cluster-link';
import { cacheKeyOf, checkRequestTarget } from './request-target';
import { writeObject } from './object-response';
import { FastPath } from './fast-path';
import type { ServerStatus } from './server-status';
import { CacheTier } from './cache-tier';
import { playbackGateOf } from '../shared/playback/playback-settings';
import type { PlaybackGate } from '../shared/playback/playback-gate';
import { isHttp1, SecureServer } from './secure-server';

export interface EdgeServerOptions {
  config: EdgeConfig;
  log: Logger;
  clock: Clock;
  /** In a worker of a cluster: the primary, instead of this server's own origin connections. */
  cluster?: ClusterLink;
}

/** Endpoints of the edge itself: answered without the client secret (load balancer, monitoring). */
const PURGE_INTERVAL_MS = 60_000;

const OWN_ENDPOINTS = new Set(['/healthz', '/server-status', '/metrics']);

/**
 * The edge's HTTP side. Connections start on the hit fast path, which answers plain requests for
 * fresh cached objects straight on the socket; the first other request hands the connection to a
 * plain node:http server, which screens every request (method, target, client secret), answers
 * fresh hits from memory and gives the rest to Fastify: the health, status and metrics
 * endpoints, the player files and the proxy route. With TLS_CERT and TLS_KEY the edge listens
 * with TLS instead, HTTP/2 and HTTP/1.1 by ALPN (SecureServer), and there is no fast path: every
 * request is screened the same way.
 */
export class EdgeServer {
  readonly tier: CacheTier;
  private readonly cluster: ClusterLink | null;
  readonly fastPath: FastPath;
  /** Exact paths Fastify answers itself (endpoints, player files): never proxied by the fast path. */
  private readonly ownPaths = new Set<string>();
  private readonly config: EdgeConfig;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly app: FastifyInstance;
  private server: Server | null = null;
  private secure: SecureServer | null = null;
  private readonly secret: Buffer | null;
  private readonly secretHeader: string;
  private readonly gate: PlaybackGate;
  private draining = false;
  private purgeTimer: NodeJS.Timeout | null = null;

  constructor(opts: EdgeServerOptions) {
    const { config, clock } = opts;
    this.config = config;
    this.clock = clock;
    this.log = opts.log.child({ component: 'edge-server' });
    this.secret = config.clientSecret ? Buffer.from(config.clientSecret) : null;
    this.secretHeader = config.clientSecretHeader.toLowerCase();
    this.gate = playbackGateOf(config, clock);
    this.tier = new CacheTier({ config, clock, log: opts.log, source: opts.cluster });
    this.cluster = opts.cluster ?? null;
    const { proxy, metrics } = this.tier;
    this.fastPath = new FastPath({
      admit: this.gate.enabled
        ? (target) => {
            const gated = this.gate.check(target);
            return gated.ok ? gated.target : undefined;
          }
        : (target) => target,
      // A hit needs no validation of its own: only keys of validated targets are ever stored.
      fresh: (target) => proxy.fresh(cacheKeyOf(target)),
      serve: (target) => proxy.serve(cacheKeyOf(target)),
      proxied: (target) => this.proxiedByFastPath(target),
      onServed: (status, bytes) => metrics.served(status, bytes),
      onError: (err, target) => this.log.error({ err, url: target }, 'proxy request failed'),
      clock,
      maxHeaderBytes: config.maxHeaderBytes,
      headersTimeoutMs: config.headersTimeout * 1000,
      keepAliveTimeoutMs: config.keepAliveTimeout * 1000,
      secret: this.secret ? { header: this.secretHeader, value: config.clientSecret } : null,
    });
    const tls = tlsFilesOf(config);
    this.app = Fastify({
      logger: false,
      // node:http2 has no closeIdleConnections(): SecureServer drains its own connections.
      forceCloseConnections: tls ? false : 'idle',
      serverFactory: (fastifyHandler) => (tls ? this.createSecureServer(tls, fastifyHandler) : this.createHttpServer(fastifyHandler)),
    });
  }

  private createSecureServer(tls: { cert: string; key: string }, fastifyHandler: (req: IncomingMessage, res: ServerResponse) => void): Server {
    const c = this.config;
    this.secure = new SecureServer(
      { certFile: tls.cert, keyFile: tls.key, idleTimeoutMs: c.keepAliveTimeout * 1000, maxHeaderBytes: c.maxHeaderBytes },
      // HTTP/2's compatibility request and response stand in for node:http's wherever the edge
      // touches them (writeHead with a flat list included); Fastify drives any server's listen and close.
      (req, res) => this.screen(req as IncomingMessage, res as ServerResponse, fastifyHandler),
    );
    return this.secure.server as unknown as Server;
  }

  private createHttpServer(fastifyHandler: (req: IncomingMessage, res: ServerResponse) => void): Server {
    const c = this.config;
    const server = createServer(
      {
        maxHeaderSize: c.maxHeaderBytes,
        requestTimeout: c.requestTimeout * 1000,
        headersTimeout: c.headersTimeout * 1000,
        keepAliveTimeout: c.keepAliveTimeout * 1000,
        requireHostHeader: true,
      },
      (req, res) => this.screen(req, res, fastifyHandler),
    );
    // A client that stops reading (or sending) mid-request is dropped after this much inactivity.
    server.timeout = c.requestTimeout * 1000;
    this.fastPath.attach(server);
    // CONNECT would make this a tunnel: refuse it outright.
    server.on('connect', (_req: IncomingMessage, socket: Socket) => {
      this.tier.metrics.refused();
      socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, OPTIONS\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      socket.destroySoon();
    });
    this.server = server;
    return server;
  }

  /** First stop for every request; answers fresh hits itself. */
  private screen(req: IncomingMessage, res: ServerResponse, next: (req: IncomingMessage, res: ServerResponse) => void): void {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
      this.refuse(res, 405, 'method not allowed', ['allow', 'GET, HEAD, OPTIONS']);
      return;
    }
    // node:http refuses a missing Host itself (requireHostHeader); HTTP/1.1 behind TLS is checked here.
    const badHost = req.httpVersion === '1.1' && req.headers.host === undefined ? 'missing Host header' : hostHeaderProblem(req.rawHeaders);
    if (badHost) {
      this.refuse(res, 400, `bad request: ${badHost}`);
      return;
    }
    let url = req.url ?? '';
    const target = checkRequestTarget(url);
    if (!target.ok) {
      this.refuse(res, 400, `bad request: ${target.reason}`);
      return;
    }
    if (this.secret && !OWN_ENDPOINTS.has(target.path) && !this.secretMatches(req.headers[this.secretHeader])) {
      this.refuse(res, 403, 'forbidden');
      return;
    }
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-allow-headers': 'Range, If-None-Match, If-Modified-Since',
        'access-control-max-age': '86400',
        'x-media-handled-by': this.config.edgeId,
      });
      res.end();
      return;
    }
    // The playback token is checked and taken out here: below this line nothing sees it, so every
    // viewer of an object shares one cache entry and the origin is never sent a token.
    const gated = this.gate.check(url);
    if (!gated.ok) {
      this.refuse(res, httpStatusOf(gated.code), `${gated.code}: ${scError(gated.code, ...gated.args).message}`, ['x-media-error', gated.code]);
      return;
    }
    url = gated.target;
    req.url = url;
    const hit = this.tier.proxy.fresh(cacheKeyOf(url));
    if (hit !== undefined) {
      const bytes = writeObject(req, res, hit, 'HIT', this.clock.now(), this.draining && isHttp1(req));
      this.tier.metrics.served('HIT', bytes);
      return;
    }
    next(req, res);
  }

  /**
   * Whether the fast path may take a target to the proxy: well-formed, no percent-escapes (which
   * Fastify would decode before matching its own routes) and not one of Fastify's own paths.
   */
  private proxiedByFastPath(target: string): boolean {
    const q = target.indexOf('?');
    const path = q >= 0 ? target.slice(0, q) : target;
    return !path.includes('%') && !this.ownPaths.has(path) && checkRequestTarget(target).ok;
  }

  private secretMatches(given: string | string[] | undefined): boolean {
    if (typeof given !== 'string' || this.secret === null) return false;
    return secretEquals(given, this.secret);
  }

  private refuse(res: ServerResponse, status: number, message: string, extra: string[] = []): void {
    this.tier.metrics.refused();
    const body = `${message}\n`;
    res.writeHead(status, [
      'content-type', 'text/plain; charset=utf-8',
      'content-length', String(Buffer.byteLength(body)),
      'cache-control', 'no-store',
      'access-control-allow-origin', '*',
      'x-media-handled-by', this.config.edgeId,
      // Whatever else the client sent on this connection is not worth reading (HTTP/2 has no such header).
      ...(isHttp1(res.req) ? ['connection', 'close'] : []),
      ...extra,
    ]);
    res.end(body);
  }

  private async routes(): Promise<void> {
    const app = this.app;
    app.addHook('onRoute', (route) => {
      if (!/[*:]/.test(route.url)) this.ownPaths.add(route.url);
    });
    app.get('/healthz', async (req, reply) => {
      reply.header('cache-control', 'no-store');
      if (this.draining) {
        if (isHttp1(req.raw)) reply.header('connection', 'close');
        return reply.code(503).send({ status: 'draining' });
      }
      return { status: 'ok' };
    });
    // In a cluster, any worker answers for the whole edge: the primary gathers every process's figures.
    app.get('/server-status', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
      return this.cluster ? (await this.cluster.summary()).status : this.status();
    });
    app.get('/metrics', async (_req, reply) => {
      reply.header('cache-control', 'no-store').type(this.tier.registry.contentType);
      return this.cluster ? (await this.cluster.summary()).metrics : this.tier.registry.metrics();
    });

    const publicDir = this.config.publicDir && this.config.publicDir !== 'none' ? resolve(this.config.publicDir) : '';
    if (publicDir && existsSync(publicDir) && statSync(publicDir).isDirectory()) {
      // Files are listed once at start-up (wildcard: false) so that every other path goes to
      // the proxy without a file-system lookup first.
      await app.register(fastifyStatic, { root: publicDir, wildcard: false, dotfiles: 'deny', setHeaders: (reply) => reply.header('x-media-handled-by', this.config.edgeId) });
      this.log.info({ publicDir }, 'serving the player');
    } else if (publicDir) {
      this.log.warn({ publicDir }, 'PUBLIC_DIR does not exist: no player served');
    }

    app.route({
      method: ['GET', 'HEAD'],
      url: '/*',
      handler: async (request, reply) => {
        reply.hijack();
        const raw = request.raw;
        try {
          const served = await this.tier.proxy.serve(cacheKeyOf(raw.url ?? '/'));
          const bytes = writeObject(raw, reply.raw, served.object, served.cacheStatus, this.clock.now(), this.draining && isHttp1(raw));
          this.tier.metrics.served(served.cacheStatus, bytes);
        } catch (err) {
          this.log.error({ err, url: raw.url }, 'proxy request failed');
          if (!reply.raw.headersSent) this.refuse(reply.raw, 500, 'internal error');
          else reply.raw.destroy();
        }
      },
    });
    app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (status >= 500) this.log.error({ err }, 'request failed');
      reply.code(status).header('cache-control', 'no-store').send({ error: status >= 500 ? 'internal error' : err.message });
    });
  }

  /** This process's own figures (in a cluster worker: this worker's part of the edge). */
  status(): ServerStatus {
    return this.tier.status(this.config.edgeId, this.draining);
  }

  /** Listens; returns the bound port (HTTP_PORT 0 picks a free one). */
  async start(): Promise<number> {
    await this.routes();
    try {
      await this.app.listen({ host: this.config.host, port: this.config.httpPort });
    } catch (err) {
      throw scError('SC_ERR_LISTEN', `${this.config.host}:${this.config.httpPort}`, (err as Error).message);
    }
    const port = (this.app.server.address() as AddressInfo).port;
    this.tier.start();
    // Expired entries that can no longer be used are dropped before the LRU would get to them.
    this.purgeTimer = setInterval(() => this.tier.store.purgeUseless(), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
    this.log.info({ host: this.config.host, port, origins: this.config.origins, cacheMaxBytes: this.config.cacheMaxBytes, tls: this.secure !== null }, 'listening');
    return port;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** /healthz starts failing so the load balancer stops sending; requests are still served. */
  startDrain(reason: string): void {
    if (this.draining) return;
    this.draining = true;
    this.fastPath.drain();
    this.secure?.drain();
    this.log.info({ reason, drainDelayS: this.config.drainDelay }, 'draining: /healthz now fails');
  }

  /** Drain, wait DRAIN_DELAY, stop accepting, finish in-flight requests (at most DRAIN_TIMEOUT), release the origins. */
  async close(reason: string): Promise<void> {
    this.startDrain(reason);
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    if (this.config.drainDelay > 0) await new Promise((r) => setTimeout(r, this.config.drainDelay * 1000));
    const closing = this.app.close();
    this.fastPath.endIdle();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      closing.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), this.config.drainTimeout * 1000);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.log.warn({ drainTimeoutS: this.config.drainTimeout }, 'requests still in flight at DRAIN_TIMEOUT: closing their connections');
      this.server?.closeAllConnections();
      this.secure?.destroyAll();
      this.fastPath.destroyAll();
      await closing;
    }
    await this.tier.close();
  }
}
