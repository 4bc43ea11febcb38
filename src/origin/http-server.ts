import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import { httpStatusOf, scError, type ErrorCode } from '../shared/errors';
import type { LiveStreams } from './live-streams';
import { hostHeaderProblem } from '../shared/http/host-header';
import { secretEquals } from '../shared/secret-equal';
import { answerRendition } from './packager/rendition-responder';
import { thumbnailFile } from './live-thumbnails';
import { renderStatPage, type StreamStat } from './stat-page';
import type { InstantVodLibrary } from './instant-vod/instant-vod-library';
import type { PlaybackGate, GateResult } from '../shared/playback/playback-gate';
import { signedPrefix } from '../shared/playback/playback-token';

export interface OriginHttpOptions {
  readonly host: string;
  readonly port: number;
  readonly hlsDir: string;
  /** Local egress folder served at /vod/, or undefined. */
  readonly vodDir?: string;
  /** Instant VODs, served at /vod-live/ and listed at /vod-live/index.json. */
  readonly instantVod?: InstantVodLibrary;
  readonly publicDir: string;
  readonly variantSuffix: string;
  readonly playlistMaxAge: number;
  readonly segmentMaxAge: number;
  readonly controlToken: string;
  readonly originSecretHeader: string;
  readonly originSecret: string;
  readonly statPublic: boolean;
  /** Playback tokens (PLAYBACK_HMAC_SECRET): checked on direct requests, and put on the index's links. */
  readonly playback?: {
    readonly gate: PlaybackGate;
    readonly secret: string;
    /** Life of the tokens on /stat and /vod/index.json links in seconds (PLAYBACK_INDEX_TTL); 0 = links unsigned. */
    readonly indexTtl: number;
  };
  readonly streams: LiveStreams;
  /** Told of each request that shows live thumbnails (/stat, /hls/<name>.jpg): they are only made while wanted. */
  readonly onThumbnailsWanted?: () => void;
  readonly metrics: Registry;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Anything that could climb out of the HLS folder: dot segments (also encoded), separators, NUL. */
const UNSAFE_PATH = /^\/|(^|\/)\.\.?(\/|$)|%2e|%2f|%5c|%00|\\|\0/i;

/** How media folders are served: files only (no listing, no dotfiles), validators on, Cache-Control set per file. */
const MEDIA_FILES = { decorateReply: false, index: false, list: false, dotfiles: 'deny', etag: true, lastModified: true, cacheControl: false } as const;

function headerValue(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function fail(reply: FastifyReply, code: ErrorCode, ...args: unknown[]): FastifyReply {
  const err = scError(code, ...args);
  return reply.code(httpStatusOf(code)).send({ code, message: err.message });
}

/** For the request counter: the layout JSON and the thumbnail beside a master are neither playlists nor media. */
function hlsRequestKind(path: string): 'playlist' | 'segment' | 'other' {
  if (!path.startsWith('/hls/') || /\.(json|jpg)$/.test(path)) return 'other';
  return path.endsWith('.m3u8') ? 'playlist' : 'segment';
}

/** The origin's HTTP side: live HLS under /hls/, /stat, /control, /healthz, /metrics and the player. */
export class OriginHttpServer {
  private app?: FastifyInstance;
  private draining = false;
  private readonly log: Logger;

  constructor(private readonly opts: OriginHttpOptions) {
    this.log = opts.log.child({ component: 'http' });
  }

  get port(): number {
    const a = this.app?.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  async start(): Promise<void> {
    const o = this.opts;
    // Per-request lines (info) would log every segment fetch; warnings and errors still come through.
    // The playback token comes out of the URL before routing (so /t/<token>/hls/... finds the
    // file); a refusal is kept for the onRequest hook, which alone can answer.
    const gated = new WeakMap<object, { result: GateResult; hadToken: boolean }>();
    const app = Fastify({
      loggerInstance: this.log.child({}, { level: 'warn' }),
      requestTimeout: 30_000,
      rewriteUrl: (raw) => {
        const url = raw.url ?? '/';
        if (!o.playback?.gate.enabled) return url;
        const result = o.playback.gate.check(url);
        gated.set(raw, { result, hadToken: result.ok && result.target !== url });
        return result.ok ? result.target : url;
      },
    });
    this.app = app as unknown as FastifyInstance;
    const requests = new Counter({ name: 'spherecast_origin_http_requests_total', help: 'HTTP requests by kind and status', labelNames: ['kind', 'status'], registers: [o.metrics] });
    new Gauge({ name: 'spherecast_origin_live_streams', help: 'streams being published', registers: [o.metrics], collect() { this.set(o.streams.size); } });
    new Gauge({
      name: 'spherecast_origin_viewers', help: 'HLS viewers seen in the last 30 s', registers: [o.metrics],
      collect() { this.set(o.streams.list().reduce((n, s) => n + o.streams.viewerCount(s), 0)); },
    });

    new Gauge({
      name: 'spherecast_origin_ladder_renditions', help: 'live ladder renditions listed in masters now', registers: [o.metrics],
      collect() { this.set(o.streams.list().reduce((n, s) => n + (s.ladder?.stat.renditions.filter((r) => r.listed).length ?? 0), 0)); },
    });
    new Gauge({
      name: 'spherecast_origin_ladder_lag_seconds', help: 'seconds of media the slowest live ladder encoder trails its source by', registers: [o.metrics],
      collect() { this.set(o.streams.list().reduce((n, s) => Math.max(n, s.ladder?.stat.lagSeconds ?? 0), 0)); },
    });

    app.addHook('onRequest', async (req, reply) => {
      reply.header('Access-Control-Allow-Origin', '*');
      const badHost = hostHeaderProblem(req.raw.rawHeaders);
      if (badHost) return fail(reply.header('Connection', 'close'), 'SC_ERR_BAD_REQUEST', badHost);
      // The edge tier proves itself with ORIGIN_SECRET and has checked (and stripped) the token;
      // anyone else reaching the origin directly needs a good token of their own.
      const fromEdge = o.originSecret !== '' && secretEquals(headerValue(req.headers[o.originSecretHeader.toLowerCase()]), o.originSecret);
      const gate = gated.get(req.raw);
      if (gate && !gate.result.ok && !(fromEdge && gate.result.code === 'SC_ERR_PLAYBACK_TOKEN_MISSING')) {
        return fail(reply, gate.result.code, ...gate.result.args);
      }
      const prefix = /^\/(hls|vod-live)\//.exec(req.url)?.[0];
      if (prefix) {
        const path = req.url.split('?')[0];
        if (UNSAFE_PATH.test(path.slice(prefix.length))) return fail(reply, 'SC_ERR_BAD_PATH', path);
        if (o.originSecret && !fromEdge && !gate?.hadToken) {
          return fail(reply, 'SC_ERR_FORBIDDEN', `${o.originSecretHeader} header required`);
        }
      }
      if (req.url.startsWith('/stat') || /^\/hls\/[^/?]+\.jpg(\?|$)/.test(req.url)) o.onThumbnailsWanted?.();
      if (req.url.startsWith('/hls/')) {
        const path = req.url.split('?')[0];
        const m = /^\/hls\/([A-Za-z0-9_-]+?)(?:\.m3u8$|\/)/.exec(path);
        if (m) {
          const name = m[1].endsWith(o.variantSuffix) && o.variantSuffix ? m[1].slice(0, -o.variantSuffix.length) : m[1];
          o.streams.touchViewer(name, req.ip);
        }
        // A live fMP4 rendition answers from memory: parts, blocking reloads and hinted parts.
        const live = /^\/hls\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_.-]+)$/.exec(path);
        const rendition = live && o.streams.rendition(live[1]);
        if (live && rendition) {
          const gone = new AbortController();
          reply.raw.once('close', () => gone.abort());
          const query = new URLSearchParams(req.url.slice(path.length + 1));
          const answer = await answerRendition(rendition, live[2], query, { mediaMaxAge: o.segmentMaxAge }, gone.signal);
          // A segment no longer held in memory (further back in a DVR window) is served from its copy on disk.
          if (answer.status === 404 && /^\d+\.m4s$/.test(live[2]) && existsSync(join(o.hlsDir, live[1], live[2]))) return;
          return reply.code(answer.status).headers(answer.headers).send(answer.body);
        }
      }
    });
    app.addHook('onResponse', async (req, reply) => {
      const kind = hlsRequestKind(req.url.split('?')[0]);
      requests.inc({ kind, status: String(reply.statusCode) });
    });

    await app.register(fastifyStatic, {
      root: resolve(o.hlsDir),
      prefix: '/hls/',
      ...MEDIA_FILES,
      setHeaders: (res, path) => {
        if (path.endsWith('.m3u8')) {
          res.header('Content-Type', 'application/vnd.apple.mpegurl');
          res.header('Cache-Control', `max-age=${o.playlistMaxAge}`);
        } else if (path.endsWith('.ts')) {
          res.header('Content-Type', 'video/mp2t');
          res.header('Cache-Control', `max-age=${o.segmentMaxAge}`);
        } else if (path.endsWith('.json')) {
          // The stream's layout (beside its master): fixed for a publish, cached like the master.
          res.header('Content-Type', 'application/json');
          res.header('Cache-Control', `max-age=${o.playlistMaxAge}`);
        } else if (path.endsWith('.jpg')) {
          // A live stream's thumbnail, renewed every THUMBNAIL_INTERVAL: cached as briefly as its master.
          res.header('Content-Type', 'image/jpeg');
          res.header('Cache-Control', `max-age=${o.playlistMaxAge}`);
        } else if (path.endsWith('.m4s') || path.endsWith('.mp4')) {
          res.header('Content-Type', path.endsWith('.mp4') ? 'video/mp4' : 'video/iso.segment');
          res.header('Cache-Control', `max-age=${o.segmentMaxAge}`);
        }
      },
      allowedPath: (pathName) => /\.(m3u8|ts|m4s|mp4|json|jpg)$/.test(pathName) && !pathName.endsWith('.tmp'),
    });
    if (o.vodDir) {
      const vodDir = resolve(o.vodDir);
      await mkdir(vodDir, { recursive: true });
      await app.register(fastifyStatic, {
        root: vodDir,
        prefix: '/vod/',
        decorateReply: false,
        index: false,
        list: false,
        dotfiles: 'deny',
        cacheControl: false,
        setHeaders: (res, path) => {
          if (/\.m3u8$/i.test(path)) res.header('Content-Type', 'application/vnd.apple.mpegurl').header('Cache-Control', 'max-age=60');
          else if (path.endsWith('.ts')) res.header('Content-Type', 'video/mp2t').header('Cache-Control', 'max-age=86400');
          // The poster and the card the index reads (transcoder poster.ts): replaced by a re-run, like playlists.
          else if (path.endsWith('.jpg')) res.header('Content-Type', 'image/jpeg').header('Cache-Control', 'max-age=60');
          else if (path.endsWith('.json')) res.header('Content-Type', 'application/json').header('Cache-Control', 'max-age=60');
        },
        allowedPath: (pathName) => /\.(m3u8|ts|m4s|mp4|jpg|json)$/i.test(pathName) && !UNSAFE_PATH.test(pathName.slice(1)),
      });
      // The player's index lists VOD assets: every folder with a master playlist.
      app.get('/vod/index.json', async (_req, reply) => {
        const entries = await readdir(vodDir, { withFileTypes: true }).catch(() => []);
        const assets = [];
        for (const e of entries) {
          if (e.isDirectory() && existsSync(join(vodDir, e.name, 'MANIFEST.M3U8'))) {
            const folder = `/vod/${encodeURIComponent(e.name)}`;
            assets.push({ name: e.name, master: `${this.signed(folder)}/MANIFEST.M3U8` });
          }
        }
        return reply.header('Cache-Control', 'max-age=10').send({ assets });
      });
    }
    if (o.instantVod) {
      const library = o.instantVod;
      await app.register(fastifyStatic, {
        root: resolve(library.dir),
        prefix: '/vod-live/',
        ...MEDIA_FILES,
        // Only a finished instant VOD has a playlist, and nothing in its folder changes after: cached long.
        setHeaders: (res, path) => {
          const type = path.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : path.endsWith('.mp4') ? 'video/mp4' : 'video/iso.segment';
          res.header('Content-Type', type).header('Cache-Control', `max-age=${o.segmentMaxAge}, immutable`);
        },
        allowedPath: (pathName) => /^\/[A-Za-z0-9_-]+\/\d+\/(index\.m3u8|\d+\.m4s|init-\d+\.mp4)$/.test(pathName),
      });
      // The index page lists them beside the transcoded VOD until the ladder replaces each.
      app.get('/vod-live/index.json', async (_req, reply) => {
        const assets = (await library.listed()).map((e) => ({
          name: e.name,
          // Signed like /vod/index.json's links when playback tokens are on (the folder is the token's prefix).
          master: `${this.signed(e.master.slice(0, e.master.lastIndexOf('/')))}${e.master.slice(e.master.lastIndexOf('/'))}`,
          kind: 'instant',
          startedAt: new Date(e.startedAt).toISOString(),
          endedAt: new Date(e.endedAt).toISOString(),
          duration: e.duration,
        }));
        return reply.header('Cache-Control', 'max-age=10').send({ assets });
      });
    }
    if (existsSync(o.publicDir)) {
      await app.register(fastifyStatic, { root: resolve(o.publicDir), prefix: '/', index: ['index.html'], wildcard: true });
    }

    app.get('/healthz', async (_req, reply) =>
      this.draining ? reply.code(503).send({ status: 'draining' }) : reply.send({ status: 'ok', streams: o.streams.size }),
    );
    app.get('/metrics', async (_req, reply) => reply.type(o.metrics.contentType).send(await o.metrics.metrics()));
    app.get('/stat', async (req: FastifyRequest<{ Querystring: { format?: string } }>, reply) => {
      if (!o.statPublic && !this.authorized(req)) return fail(reply, 'SC_ERR_UNAUTHORIZED', 'CONTROL_TOKEN required');
      const streams = this.stats();
      const wantsJson = req.query.format === 'json' || (req.headers.accept ?? '').includes('application/json');
      if (wantsJson) return reply.header('Cache-Control', 'no-cache').send({ streams });
      return reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-cache').send(renderStatPage(streams, new Date(o.clock.now())));
    });
    const drop = async (req: FastifyRequest<{ Querystring: { app?: string; name?: string } }>, reply: FastifyReply) => {
      if (!o.controlToken) return fail(reply, 'SC_ERR_NOT_FOUND', '/control is off (set CONTROL_TOKEN)');
      if (!this.authorized(req)) return fail(reply, 'SC_ERR_UNAUTHORIZED', 'bad or missing bearer token');
      const stream = o.streams.get(req.query.name ?? '');
      if (!stream) return fail(reply, 'SC_ERR_NOT_FOUND', `stream ${req.query.name ?? ''}`);
      this.log.info({ stream: stream.start.name, addr: stream.start.addr }, 'publisher dropped by /control');
      stream.start.drop();
      return reply.send({ dropped: stream.start.name });
    };
    app.post('/control/drop/publisher', drop);
    app.get('/control/drop/publisher', drop);
    app.setNotFoundHandler((req, reply) => fail(reply, 'SC_ERR_NOT_FOUND', req.url.split('?')[0]));

    try {
      await app.listen({ host: o.host, port: o.port });
    } catch (err) {
      throw scError('SC_ERR_LISTEN', `HTTP ${o.host}:${o.port}`, (err as Error).message);
    }
    this.log.info({ host: o.host, port: this.port }, 'HTTP listening');
  }

  /**
   * A path prefix with a playback token for the index's links when tokens are on: whoever may
   * read the listing may play what it lists, for PLAYBACK_INDEX_TTL.
   */
  private signed(prefix: string): string {
    const p = this.opts.playback;
    if (!p?.gate.enabled || p.indexTtl <= 0 || !p.gate.isProtected(prefix)) return prefix;
    const expires = Math.floor(this.opts.clock.now() / 1000) + p.indexTtl;
    try {
      return signedPrefix(p.secret, { prefix, expires });
    } catch {
      // A name a token cannot carry (escaped characters) stays unsigned rather than breaking the listing.
      return prefix;
    }
  }

  /** `Authorization: Bearer <CONTROL_TOKEN>`; the scheme is case-insensitive (RFC 9110 11.1). */
  private authorized(req: FastifyRequest): boolean {
    const token = this.opts.controlToken;
    const m = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    return !!token && !!m && secretEquals(m[1], token);
  }

  stats(): StreamStat[] {
    const o = this.opts;
    const now = o.clock.now();
    return o.streams.list().map((s) => {
      const uptime = (now - s.startedAt) / 1000;
      return {
        name: s.start.name,
        master: `${this.signed(`/hls/${s.start.name}`)}.m3u8`,
        publisher: s.start.addr,
        startedAt: new Date(s.startedAt).toISOString(),
        uptimeSeconds: Math.round(uptime),
        bitrateKbps: uptime > 0 ? Math.round((s.start.inBytes() * 8) / uptime / 1000) : 0,
        clients: o.streams.viewerCount(s),
        ...(s.info.video ? { video: { ...s.info.video, frameRate: Math.round(s.info.frameRate * 100) / 100 } } : {}),
        ...(s.info.audio ? { audio: { ...s.info.audio } } : {}),
        unsupported: [...s.info.unsupported],
        ...(s.layout ? { layout: s.layout } : {}),
        // A new URL per renewal, so caches (the edge, browsers) never show an old picture for long.
        ...(s.thumbnailAt !== undefined ? { thumbnail: `/hls/${thumbnailFile(s.start.name)}?t=${s.thumbnailAt}` } : {}),
        ...(s.ladder ? { ladder: s.ladder.stat } : {}),
      };
    });
  }

  /** Fails /healthz first so a load balancer stops sending, then closes. */
  async close(): Promise<void> {
    this.draining = true;
    await this.app?.close();
  }
}
