import { createServer, type Server, type Socket } from 'node:net';
import RtmpSession from 'node-media-server/src/session/rtmp_session.js';
import nmsLogger from 'node-media-server/src/core/logger.js';
import Context from 'node-media-server/src/core/context.js';
import type AVPacket from 'node-media-server/src/core/avpacket.js';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import { scError } from '../shared/errors';
import { checkPublish, type PublishAuthOptions } from './publish-auth';
import type { PublishHooks } from './publish-hooks';
import type { LiveStream, LiveStreams } from './live-streams';

export interface RtmpIngestOptions {
  readonly host: string;
  readonly port: number;
  readonly app: string;
  readonly idleTimeoutMs: number;
  readonly maxStreams: number;
  readonly auth: PublishAuthOptions;
  readonly hooks: PublishHooks;
  readonly streams: LiveStreams;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Media that arrives while a publish is being authorized is held, up to this much. */
const MAX_HELD_BYTES = 8 * 1024 * 1024;

type PublishState =
  | { phase: 'connecting' }
  | { phase: 'authorizing'; held: Array<{ type: number; dts: number; body: Buffer }>; heldBytes: number }
  | { phase: 'live'; stream: LiveStream }
  | { phase: 'refused' };

/**
 * RTMP ingest: node-media-server's RTMP protocol sessions on a listener we own, so that garbage,
 * idle sockets and parser exceptions close one connection, never the process. Publishes are
 * authorized asynchronously (keys, signed URLs, on_publish) while the socket is paused, then each
 * FLV tag goes straight to the stream's packager. node-media-server's broadcast fan-out is not
 * used: viewers get HLS, so copying every packet for RTMP players would be wasted work.
 */
export class RtmpIngest {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Set<string>();
  private readonly endings = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly opts: RtmpIngestOptions) {
    this.log = opts.log.child({ component: 'rtmp' });
    // node-media-server logs through console; route its lines into our JSON log, one level down.
    const nmsLog = this.log.child({ component: 'nms' });
    nmsLogger.log = (message: string, level = 'info') => {
      if (level === 'error' || level === 'warn') nmsLog.debug(message);
      else nmsLog.trace(message);
    };
    Context.config = {};
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
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.idleTimeoutMs, () => {
      this.log.warn({ addr: socket.remoteAddress }, 'RTMP connection idle: closed');
      socket.destroy();
    });
    const session = new RtmpSession(socket);
    const addr = `${socket.remoteAddress}:${socket.remotePort}`;
    let state: PublishState = { phase: 'connecting' };
    const parse = session.onData;
    session.onData = (data: Buffer) => {
      try {
        parse(data);
      } catch (err) {
        // Random bytes can make the AMF or chunk parser throw; that ends this connection only.
        this.log.warn({ addr, err: (err as Error).message }, 'RTMP protocol error: connection closed');
        socket.destroy();
      }
    };
    session.onPlay = () => {
      this.log.warn({ addr, path: session.streamPath }, 'RTMP play is not offered (watch over HLS): connection closed');
      socket.destroy();
    };
    const acceptPush = session.onPush;
    session.onPush = () => {
      const name = session.streamName;
      const refuse = (reason: string) => {
        state = { phase: 'refused' };
        this.log.warn({ code: 'SC_ERR_PUBLISH_REFUSED', addr, app: session.streamApp, stream: name, reason }, `publish refused: ${reason}`);
        socket.destroy();
      };
      if (!session.streamPath) return refuse('invalid application or stream name');
      if (session.streamApp !== this.opts.app) return refuse(`unknown application "${session.streamApp}" (publish to /${this.opts.app}/NAME)`);
      if (this.opts.streams.has(name) || this.pending.has(name)) return refuse(`stream ${name} already has a publisher`);
      if (this.opts.streams.size + this.pending.size >= this.opts.maxStreams) return refuse(`MAX_STREAMS (${this.opts.maxStreams}) reached`);
      const denied = checkPublish(this.opts.auth, session.streamApp, name, session.streamQuery, this.opts.clock.now());
      if (denied) return refuse(denied);
      state = { phase: 'authorizing', held: [], heldBytes: 0 };
      this.pending.add(name);
      socket.pause();
      void this.authorize(session, addr, acceptPush).then(
        (stream) => {
          this.pending.delete(name);
          if (socket.destroyed) {
            if (stream) this.track(this.opts.streams.end(stream));
            return;
          }
          if (!stream) return;
          const held = state.phase === 'authorizing' ? state.held : [];
          state = { phase: 'live', stream };
          for (const h of held) this.opts.streams.tag(stream, h.type, h.dts, h.body);
          socket.resume();
        },
        (err) => {
          this.pending.delete(name);
          refuse((err as Error).message);
        },
      );
    };
    session.onPacket = (packet: AVPacket) => {
      if (state.phase === 'live') {
        this.opts.streams.tag(state.stream, packet.codec_type, packet.dts, packet.data.subarray(0, packet.size));
      } else if (state.phase === 'authorizing' && state.heldBytes < MAX_HELD_BYTES) {
        // The parser reuses its buffer: keep copies.
        state.held.push({ type: packet.codec_type, dts: packet.dts, body: Buffer.from(packet.data.subarray(0, packet.size)) });
        state.heldBytes += packet.size;
      }
    };
    const closeSession = session.onClose;
    session.onClose = () => {
      this.sockets.delete(socket);
      try {
        closeSession();
      } catch (err) {
        this.log.debug({ err }, 'session close');
      }
      if (state.phase === 'live') {
        const stream = state.stream;
        state = { phase: 'refused' };
        this.track(this.opts.streams.end(stream));
        this.opts.hooks.publishDone({ app: stream.start.app, name: stream.start.name, addr });
      }
    };
    session.onError = (err: Error) => this.log.debug({ addr, err: err.message }, 'RTMP socket error');
    session.run();
  }

  private async authorize(session: RtmpSession, addr: string, acceptPush: () => void): Promise<LiveStream | undefined> {
    const name = session.streamName;
    const event = { app: session.streamApp, name, addr };
    const denied = await this.opts.hooks.authorize(event);
    if (denied) throw new Error(denied);
    if (session.socket.destroyed) return undefined;
    // No reconnect grace: a publisher that leaves ends its stream now (ENDLIST), as nginx-rtmp does.
    session.broadcast.publishGraceMs = 0;
    acceptPush();
    if (!session.isPublisher) throw new Error('node-media-server refused the publish');
    return this.opts.streams.begin({
      app: session.streamApp,
      name,
      addr,
      inBytes: () => session.inBytes,
      drop: () => session.socket.destroy(),
    });
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
    await Promise.all(socketsClosed);
    await closed;
    while (this.endings.size) await Promise.all([...this.endings]);
  }
}
