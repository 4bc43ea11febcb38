import { parse as parseQuery } from 'node:querystring';
import { scError } from '../../shared/errors';
import type { PublishQuery } from '../publish-auth';
import { ServerHandshake } from './handshake';
import { ChunkReader, type RtmpMessage } from './chunk-reader';
import { encodeMessage } from './chunk-writer';
import { decodeAmf0, encodeAmf0, type Amf0Object, type Amf0Value } from './amf0';

/** RTMP message types (RTMP specification 5.4, 6.2, 7.1). */
export const MSG = {
  SET_CHUNK_SIZE: 1,
  ABORT: 2,
  ACK: 3,
  USER_CONTROL: 4,
  WINDOW_ACK_SIZE: 5,
  SET_PEER_BANDWIDTH: 6,
  AUDIO: 8,
  VIDEO: 9,
  DATA_AMF3: 15,
  COMMAND_AMF3: 17,
  DATA_AMF0: 18,
  COMMAND_AMF0: 20,
} as const;

const CSID_CONTROL = 2;
const CSID_COMMAND = 3;
const OUT_CHUNK_SIZE = 4096;
const WINDOW_ACK_SIZE = 5_000_000;
const USER_STREAM_BEGIN = 0;
const USER_PING_REQUEST = 6;
const USER_PING_RESPONSE = 7;

export interface PublishRequest {
  readonly app: string;
  readonly name: string;
  readonly query: PublishQuery;
  readonly streamId: number;
}

export interface RtmpConnectionEvents {
  /** Bytes for the peer. */
  send(data: Buffer): void;
  /** A publish asks to start: answer with accept() or reject(), after the checks. */
  publish(req: PublishRequest): void;
  /** The publish in progress (authorizing or live) ends now: FCUnpublish, deleteStream, closeStream or a new publish. */
  unpublish(reason: string): void;
  /** An FLV tag body (audio 8, video 9, script data 18) of the accepted publish. */
  media(type: number, timestamp: number, body: Buffer): void;
  /** The peer asked to play; this server only ingests. */
  play(name: string): void;
}

export interface RtmpConnectionLimits {
  /** Largest message before a publish is accepted (commands only need a few KB). */
  readonly preAuthMaxMessage: number;
  /** Largest message once a publish is accepted (a keyframe). */
  readonly maxMessage: number;
  readonly maxChunkStreams: number;
  readonly maxChunkSize: number;
  /** createStream calls one connection may make. */
  readonly maxStreams: number;
}

export type PublishRefusal = 'NetStream.Publish.BadName' | 'NetStream.Publish.Rejected';

function violation(reason: string): never {
  throw scError('SC_ERR_RTMP_PROTOCOL', reason);
}

const SET_DATA_FRAME = encodeAmf0('@setDataFrame');

/**
 * One RTMP connection's protocol, without the socket: handshake, chunks, and the command state
 * machine of a publisher (connect, releaseStream, FCPublish, createStream, publish, FCUnpublish,
 * deleteStream / closeStream). It answers `NetStream.Publish.Start` only when the owner accepts
 * the publish after its checks, and a refused publish gets `BadName` or `Rejected` with a reason,
 * as nginx-rtmp answers. Protocol violations throw SC_ERR_RTMP_PROTOCOL from `receive`.
 */
export class RtmpConnection {
  private handshake?: ServerHandshake = new ServerHandshake();
  private readonly reader: ChunkReader;
  private app?: string;
  private appQuery: PublishQuery = {};
  private nextStreamId = 1;
  private readonly streamIds = new Set<number>();
  private publishing?: { streamId: number; name: string; state: 'authorizing' | 'live' };
  private bytesIn = 0;
  private lastAck = 0;
  private ackWindow = 0;
  private outChunkSize = 128;

  constructor(
    private readonly limits: RtmpConnectionLimits,
    private readonly events: RtmpConnectionEvents,
  ) {
    this.reader = new ChunkReader({ maxMessageSize: limits.preAuthMaxMessage, maxChunkStreams: limits.maxChunkStreams, maxChunkSize: limits.maxChunkSize });
  }

  get handshakeDone(): boolean {
    return !this.handshake;
  }

  /** The application named in connect, once connected. */
  get appName(): string | undefined {
    return this.app;
  }

  receive(data: Buffer): void {
    this.bytesIn += data.length;
    if (this.handshake) {
      const r = this.handshake.push(data);
      if (r.reply) this.events.send(r.reply);
      if (!r.done) return;
      this.handshake = undefined;
      data = r.rest;
    }
    this.reader.push(data, (m) => this.onMessage(m));
    // Acknowledge as the peer's window asks (5.4.3): encoders that wait for it would stall otherwise.
    if (this.ackWindow && this.bytesIn - this.lastAck >= this.ackWindow) {
      this.lastAck = this.bytesIn;
      const p = Buffer.alloc(4);
      p.writeUInt32BE(this.bytesIn % 2 ** 32);
      this.sendControl(MSG.ACK, p);
    }
  }

  /** The owner's checks passed: tell the encoder to start, and allow keyframe-sized messages. */
  accept(): void {
    const p = this.publishing;
    if (!p || p.state !== 'authorizing') return;
    p.state = 'live';
    this.reader.setMaxMessageSize(this.limits.maxMessage);
    const ev = Buffer.alloc(6);
    ev.writeUInt16BE(USER_STREAM_BEGIN, 0);
    ev.writeUInt32BE(p.streamId, 2);
    this.sendControl(MSG.USER_CONTROL, ev);
    this.status(p.streamId, 'status', 'NetStream.Publish.Start', `/${this.app}/${p.name} is now published.`);
  }

  /** The owner refused the publish: answered with the reason; the owner closes the connection. */
  reject(code: PublishRefusal, description: string): void {
    const p = this.publishing;
    this.publishing = undefined;
    this.status(p?.streamId ?? 0, 'error', code, description);
  }

  private onMessage(m: RtmpMessage): void {
    switch (m.type) {
      case MSG.WINDOW_ACK_SIZE:
        if (m.payload.length < 4) violation('Window Acknowledgement Size shorter than 4 bytes');
        this.ackWindow = m.payload.readUInt32BE(0);
        return;
      case MSG.USER_CONTROL:
        if (m.payload.length >= 6 && m.payload.readUInt16BE(0) === USER_PING_REQUEST) {
          const pong = Buffer.from(m.payload.subarray(0, 6));
          pong.writeUInt16BE(USER_PING_RESPONSE, 0);
          this.sendControl(MSG.USER_CONTROL, pong);
        }
        return;
      case MSG.COMMAND_AMF0:
        return this.command(m, decodeAmf0(m.payload));
      case MSG.COMMAND_AMF3:
        // ffmpeg and OBS send AMF0 inside an AMF3 command message after one 0 byte; real AMF3 is refused.
        if (m.payload[0] !== 0) violation('AMF3-encoded commands are not supported');
        return this.command(m, decodeAmf0(m.payload.subarray(1)));
      case MSG.AUDIO:
      case MSG.VIDEO:
      case MSG.DATA_AMF0:
        return this.mediaMessage(m);
      default:
        // Set chunk size and abort acted in the reader; acknowledgements, bandwidth and the rest need nothing.
        return;
    }
  }

  private mediaMessage(m: RtmpMessage): void {
    const p = this.publishing;
    if (!p || m.streamId !== p.streamId) return;
    let body = m.payload;
    if (m.type === MSG.DATA_AMF0) {
      // In RTMP, metadata is "@setDataFrame", "onMetaData", {...}; in FLV it is "onMetaData", {...}.
      if (body.subarray(0, SET_DATA_FRAME.length).equals(SET_DATA_FRAME)) body = body.subarray(SET_DATA_FRAME.length);
    }
    this.events.media(m.type, m.timestamp, body);
  }

  private command(m: RtmpMessage, values: Amf0Value[]): void {
    const [name, transId, , ...args] = values;
    if (typeof name !== 'string') violation('command without a name');
    const tid = typeof transId === 'number' ? transId : 0;
    if (name !== 'connect' && this.app === undefined) violation(`${name} before connect`);
    switch (name) {
      case 'connect':
        return this.connect(tid, values[2]);
      case 'releaseStream':
      case 'FCPublish':
        if (tid) this.invoke(0, '_result', tid, null, undefined);
        return;
      case 'createStream':
        return this.createStream(tid);
      case 'publish':
        return this.publish(m.streamId, args[0]);
      case 'FCUnpublish':
        if (this.publishing && this.publishing.name === String(args[0] ?? '').split('?')[0]) this.endPublish('FCUnpublish');
        return;
      case 'deleteStream': {
        const id = typeof args[0] === 'number' ? args[0] : -1;
        if (this.publishing?.streamId === id) this.endPublish('deleteStream');
        this.streamIds.delete(id);
        return;
      }
      case 'closeStream':
        if (this.publishing?.streamId === m.streamId) this.endPublish('closeStream');
        return;
      case 'play':
        return this.events.play(String(args[0] ?? ''));
      default:
        // _checkbw, getStreamLength, _result of our own calls...: nothing to do.
        return;
    }
  }

  private connect(tid: number, cmdObj: Amf0Value): void {
    if (this.app !== undefined) violation('second connect on one connection');
    const obj = (cmdObj && typeof cmdObj === 'object' && !Array.isArray(cmdObj) && !(cmdObj instanceof Date) ? cmdObj : {}) as Amf0Object;
    // Some encoders put the query (e.g. a key) in the server URL, and so in the app: it joins the stream's.
    const raw = typeof obj.app === 'string' ? obj.app : '';
    const q = raw.indexOf('?');
    this.app = (q < 0 ? raw : raw.slice(0, q)).replace(/\/+$/, '');
    this.appQuery = q < 0 ? {} : parseQuery(raw.slice(q + 1));
    const ack = Buffer.alloc(4);
    ack.writeUInt32BE(WINDOW_ACK_SIZE);
    this.sendControl(MSG.WINDOW_ACK_SIZE, ack);
    const bw = Buffer.alloc(5);
    bw.writeUInt32BE(WINDOW_ACK_SIZE);
    bw[4] = 2; // dynamic
    this.sendControl(MSG.SET_PEER_BANDWIDTH, bw);
    const cs = Buffer.alloc(4);
    cs.writeUInt32BE(OUT_CHUNK_SIZE);
    this.sendControl(MSG.SET_CHUNK_SIZE, cs);
    this.outChunkSize = OUT_CHUNK_SIZE;
    this.invoke(0, '_result', tid, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 }, {
      level: 'status',
      code: 'NetConnection.Connect.Success',
      description: 'Connection succeeded.',
      objectEncoding: 0,
    });
  }

  private createStream(tid: number): void {
    if (this.streamIds.size >= this.limits.maxStreams) violation(`more than ${this.limits.maxStreams} streams on one connection`);
    const id = this.nextStreamId++;
    this.streamIds.add(id);
    this.invoke(0, '_result', tid, null, id);
  }

  private publish(streamId: number, target: Amf0Value): void {
    if (!this.streamIds.has(streamId)) violation(`publish on stream ${streamId}, which createStream did not return`);
    // One publish per connection at a time: a new one ends the old first, so nothing of it lingers.
    if (this.publishing) this.endPublish('a new publish on the same connection');
    const full = typeof target === 'string' ? target : '';
    const q = full.indexOf('?');
    const name = q < 0 ? full : full.slice(0, q);
    const query = { ...this.appQuery, ...(q < 0 ? {} : parseQuery(full.slice(q + 1))) };
    this.publishing = { streamId, name, state: 'authorizing' };
    this.events.publish({ app: this.app!, name, query, streamId });
  }

  private endPublish(reason: string): void {
    const p = this.publishing!;
    this.publishing = undefined;
    this.reader.setMaxMessageSize(this.limits.preAuthMaxMessage);
    this.events.unpublish(reason);
    this.status(p.streamId, 'status', 'NetStream.Unpublish.Success', `/${this.app}/${p.name} is now unpublished.`);
  }

  private sendControl(type: number, payload: Buffer): void {
    this.events.send(encodeMessage({ csid: CSID_CONTROL, type, streamId: 0, timestamp: 0, payload }, this.outChunkSize));
  }

  private invoke(streamId: number, ...values: Amf0Value[]): void {
    const payload = encodeAmf0(...values);
    this.events.send(encodeMessage({ csid: CSID_COMMAND, type: MSG.COMMAND_AMF0, streamId, timestamp: 0, payload }, this.outChunkSize));
  }

  private status(streamId: number, level: string, code: string, description: string): void {
    this.invoke(streamId, 'onStatus', 0, null, { level, code, description });
  }
}
