import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../shared/logger';
import type { LayoutQuery } from '../shared/layout/stream-layout';
import type { Clock } from '../shared/clock';
import { isScError, scError } from '../shared/errors';
import { checkPublish, STREAM_NAME, type PublishAuthOptions } from './publish-auth';
import type { PublishHooks } from './publish-hooks';
import { requestedLayout, type LayoutRule } from './layout-rules';
import type { LiveStream, LiveStreams } from './live-streams';
import { IngestRateLimit } from './ingest-rate-limit';
import { RtmpConnection, type PublishRefusal, type PublishRequest } from './rtmp/rtmp-connection';
import { ReadBatcher } from './rtmp/read-batcher';

export interface RtmpIngestOptions {
  readonly host: string;
  readonly port: number;
  readonly app: string;
  readonly idleTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxStreams: number;
  /** Largest RTMP message of an accepted publish (a keyframe). */
  readonly maxMessageBytes: number;
  readonly maxConnectionsPerIp: number;
  readonly maxSpeed: number;
  readonly maxBytesPerSecond: number;
  readonly burstSeconds: number;
  /** RTMP_READ_BATCH: each publisher's socket is read at most once per this many ms (0 = as data arrives). */
  readonly readBatchMs: number;
  readonly auth: PublishAuthOptions;
  /** STREAM_LAYOUTS and DEFAULT_PROJECTION, for what each publish asks for beside its URL. */
  readonly layouts: { readonly rules: readonly LayoutRule[]; readonly defaultProjection: LayoutQuery['projection'] };
  readonly hooks: PublishHooks;
  readonly streams: LiveStreams;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Media that arrives while a publish is being authorized is held, up to this much. */
const MAX_HELD_BYTES = 8 * 1024 * 1024;
/** Before a publish is accepted only commands flow, and the largest (connect) is a few KB. */
const PRE_AUTH_MAX_MESSAGE = 64 * 1024;
/** As nginx-rtmp's max_streams: encoders use 3 to 6 chunk streams. */
const MAX_CHUNK_STREAMS = 32;
/** The specification allows up to 2^31-1; no encoder uses more than 64 KB, and 16 MB bounds the wait for a chunk. */
const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
/** createStream calls per connection (an encoder makes one). */
const MAX_STREAMS_PER_CONNECTION = 8;

/** One publish on one connection, from the request to its end. */
interface Publish {
  readonly req: PublishRequest;
  state: 'authorizing' | 'live' | 'ended';
  stream?: LiveStream;
  held: Array<{ type: number; dts: number; body: Buffer }>;
  heldBytes: number;
  readonly rate: IngestRateLimit;
}

/**
 * RTMP ingest on our own bounded protocol implementation (src/origin/rtmp): every limit of size,
 * count and time is explicit, and anything out of bounds closes that one connection. Publishes
 * are authorized (keys, signed URLs, on_publish) while the socket is paused, and only then is the
 * encoder told to start; each FLV tag then goes straight to the stream's packager. A publish ends
 * when the encoder says so (FCUnpublish, deleteStream, a second publish) or the socket closes.
 */
export class RtmpIngest {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly perIp = new Map<string, number>();
  private readonly pending = new Set<string>();
  private readonly endings = new Set<Promise<void>>();
  private readonly log: Logger;
  private readonly batcher: ReadBatcher;

  constructor(private readonly opts: RtmpIngestOptions) {
    this.log = opts.log.child({ component: 'rtmp' });
    this.batcher = new ReadBatcher(opts.readBatchMs);
  }

  get address(): { port: number } {
    const a = this.server?.address();
    return { port: typeof a === 'object' && a ? a.port : 0 };
  }

  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(scError('SC_ERR_LISTEN', `RTMP ${this.opts.host}:${this.opts.port}`, (err as Error).message)));
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    server.on('error', (err) => this.log.error({ err }, 'RTMP listener error'));
    this.log.info({ host: this.opts.host, port: this.address.port, app: this.opts.app }, 'RTMP listening');
  }

  private accept(socket: Socket): void {
    const ip = socket.remoteAddress ?? '?';
    const addr = `${ip}:${socket.remotePort}`;
    const count = this.perIp.get(ip) ?? 0;
    if (count >= this.opts.maxConnectionsPerIp) {
      if (count === this.opts.maxConnectionsPerIp) {
        this.log.warn({ code: 'SC_ERR_RTMP_LIMIT', addr }, `RTMP_MAX_CONNECTIONS_PER_IP (${this.opts.maxConnectionsPerIp}) reached for ${ip}: further connections are closed`);
      }
      this.perIp.set(ip, count + 1);
      socket.once('close', () => this.release(ip));
      socket.destroy();
      return;
    }
    this.perIp.set(ip, count + 1);
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.idleTimeoutMs, () => {
      this.log.warn({ addr }, 'RTMP connection idle: closed');
      socket.destroy();
    });
    const handshakeTimer = setTimeout(() => {
      this.log.warn({ code: 'SC_ERR_RTMP_PROTOCOL', addr }, 'RTMP handshake not completed in time: closed');
      socket.destroy();
    }, this.opts.handshakeTimeoutMs);
    let inBytes = 0;
    let publish: Publish | undefined;
    /** Set once a refusal was answered: nothing more is read from that encoder. */
    let refused = false;
    /** Ends the connection's publish now (it left, said so, or is being replaced). */
    const endPublish = () => {
      const p = publish;
      publish = undefined;
      if (!p || p.state === 'ended') return;
      const wasLive = p.state === 'live';
      p.state = 'ended';
      if (p.stream) this.track(this.opts.streams.end(p.stream));
      if (wasLive) this.opts.hooks.publishDone({ app: p.req.app, name: p.req.name, addr });
    };
    const drop = (code: string, reason: string, stream?: string) => {
      if (socket.destroyed) return;
      this.log.warn({ code, addr, ...(stream ? { stream } : {}), reason }, `RTMP connection closed: ${reason}`);
      socket.destroy();
    };
    const conn: RtmpConnection = new RtmpConnection(
      {
        preAuthMaxMessage: PRE_AUTH_MAX_MESSAGE,
        maxMessage: this.opts.maxMessageBytes,
        maxChunkStreams: MAX_CHUNK_STREAMS,
        maxChunkSize: MAX_CHUNK_SIZE,
        maxStreams: MAX_STREAMS_PER_CONNECTION,
      },
      {
        send: (data) => {
          if (!socket.destroyed) socket.write(data);
        },
        publish: (req) => {
          const p: Publish = {
            req,
            state: 'authorizing',
            held: [],
            heldBytes: 0,
            rate: new IngestRateLimit({ maxSpeed: this.opts.maxSpeed, maxBytesPerSecond: this.opts.maxBytesPerSecond, burstSeconds: this.opts.burstSeconds }),
          };
          publish = p;
          this.startPublish(p, conn, socket, addr, () => inBytes, (code, reason) => {
            p.state = 'ended';
            if (publish === p) publish = undefined;
            this.log.warn({ code: 'SC_ERR_PUBLISH_REFUSED', addr, app: req.app, stream: req.name, reason }, `publish refused: ${reason}`);
            if (socket.destroyed) return;
            refused = true;
            conn.reject(code, reason);
            // Let the refusal reach the encoder (it shows "bad stream key", not a network error), then close.
            socket.end();
            setTimeout(() => socket.destroy(), 1000).unref();
          });
        },
        unpublish: (reason) => {
          if (publish) this.log.info({ addr, stream: publish.req.name, reason }, `publish ended by the encoder (${reason})`);
          endPublish();
        },
        media: (type, dts, body) => {
          const p = publish;
          // Dropped mid-buffer: the rest of what was already read goes nowhere.
          if (!p || socket.destroyed) return;
          if (p.state === 'live') {
            if (type !== 18) {
              const tooFast = p.rate.observe(dts, this.opts.clock.now(), body.length);
              if (tooFast) return drop('SC_ERR_INGEST_RATE', `publisher too fast: ${tooFast}`, p.req.name);
            }
            this.opts.streams.tag(p.stream!, type, dts, body);
          } else if (p.state === 'authorizing' && p.heldBytes < MAX_HELD_BYTES) {
            p.held.push({ type, dts, body });
            p.heldBytes += body.length;
          }
        },
        play: (name) => drop('SC_ERR_RTMP_PROTOCOL', `RTMP play of "${name}" is not offered (watch over HLS)`),
      },
    );
    socket.on('data', (data: Buffer) => {
      inBytes += data.length;
      if (refused) return;
      try {
        conn.receive(data);
        if (conn.handshakeDone) clearTimeout(handshakeTimer);
        if (!refused) this.batcher.delivered(socket, data.length);
      } catch (err) {
        if (isScError(err, 'SC_ERR_CODEC_CONFIG')) return drop(err.code, `publish refused: ${err.message}`, publish?.req.name);
        if (isScError(err)) return drop(err.code, err.message, publish?.req.name);
        // Anything else is our bug, but it still only ends this connection.
        this.log.error({ addr, err }, 'RTMP connection failed');
        socket.destroy();
      }
    });
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      this.batcher.release(socket);
      this.sockets.delete(socket);
      this.release(ip);
      endPublish();
    });
    socket.on('error', (err) => this.log.debug({ addr, err: err.message }, 'RTMP socket error'));
  }

  private release(ip: string): void {
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n > 0) this.perIp.set(ip, n);
    else this.perIp.delete(ip);
  }

  /** The checks, in nginx-rtmp's order; then on_publish with the socket paused; then the stream. */
  private startPublish(
    p: Publish,
    conn: RtmpConnection,
    socket: Socket,
    addr: string,
    inBytes: () => number,
    refuse: (code: PublishRefusal, reason: string) => void,
  ): void {
    const { app, name, query } = p.req;
    if (app !== this.opts.app) return refuse('NetStream.Publish.BadName', `unknown application "${app}" (publish to /${this.opts.app}/NAME)`);
    if (!STREAM_NAME.test(name)) return refuse('NetStream.Publish.BadName', 'stream names are 1-64 letters, digits, _ or -');
    if (this.opts.streams.has(name) || this.pending.has(name)) return refuse('NetStream.Publish.BadName', `stream ${name} already has a publisher`);
    if (this.opts.streams.size + this.pending.size >= this.opts.maxStreams) return refuse('NetStream.Publish.Rejected', `MAX_STREAMS (${this.opts.maxStreams}) reached`);
    const denied = checkPublish(this.opts.auth, app, name, query, this.opts.clock.now());
    if (denied) return refuse('NetStream.Publish.Rejected', denied);
    let layout: LayoutQuery[];
    try {
      layout = requestedLayout(name, query, this.opts.layouts.rules, this.opts.layouts.defaultProjection);
    } catch (err) {
      return refuse('NetStream.Publish.Rejected', (err as Error).message);
    }
    this.pending.add(name);
    socket.pause();
    void (async () => {
      try {
        const hookDenied = await this.opts.hooks.authorize({ app, name, addr });
        if (hookDenied) return refuse('NetStream.Publish.Rejected', hookDenied);
        // Ended while authorizing (deleteStream or a new publish read in the same buffer): read on.
        if (p.state !== 'authorizing' || socket.destroyed) return void socket.resume();
        // No reconnect grace: a publisher that leaves ends its stream now (ENDLIST), as nginx-rtmp does.
        const stream = await this.opts.streams.begin({ app, name, addr, inBytes, drop: () => socket.destroy(), layout });
        p.stream = stream;
        if (p.state !== 'authorizing' || socket.destroyed) {
          // The encoder left or moved on while the packager started: end what was begun.
          this.track(this.opts.streams.end(stream));
          return void socket.resume();
        }
        p.state = 'live';
        conn.accept();
        const held = p.held;
        p.held = [];
        for (const h of held) this.opts.streams.tag(stream, h.type, h.dts, h.body);
        socket.resume();
      } catch (err) {
        if (p.state === 'authorizing') refuse('NetStream.Publish.Rejected', (err as Error).message);
        else if (!socket.destroyed) {
          // A held tag failed validation (a bad codec configuration): as when it arrives live.
          const code = isScError(err) ? err.code : undefined;
          this.log.warn({ code, addr, stream: name, reason: (err as Error).message }, `RTMP connection closed: ${(err as Error).message}`);
          socket.destroy();
        }
      } finally {
        this.pending.delete(name);
      }
    })();
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err) => this.log.error({ err }, 'ending a stream failed')).finally(() => this.endings.delete(q));
    this.endings.add(q);
  }

  /** Stops accepting, ends every publish (final playlists written) and closes every connection. */
  async close(): Promise<void> {
    // server.close() waits for open connections, so they are destroyed before waiting on it.
    const closed = new Promise<void>((resolve) => (this.server?.listening ? this.server.close(() => resolve()) : resolve()));
    // Each socket's close event ends its stream; wait for all of them, then for the streams' ends.
    const socketsClosed = [...this.sockets].map((s) => new Promise((r) => (s.destroyed && s.closed ? r(undefined) : s.once('close', r))));
    for (const s of this.sockets) s.destroy();
    this.batcher.close();
    await Promise.all(socketsClosed);
    await closed;
    while (this.endings.size) await Promise.all([...this.endings]);
  }
}
