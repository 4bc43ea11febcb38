// node-media-server 4.4.3 ships no types; these declare the parts spherecast uses.
declare module 'node-media-server/src/core/context.js' {
  const Context: {
    config: Record<string, unknown>;
    sessions: Map<string, unknown>;
    broadcasts: Map<string, unknown>;
    eventEmitter: import('node:events').EventEmitter;
  };
  export = Context;
}

declare module 'node-media-server/src/core/logger.js' {
  const logger: { level: string; log(message: string, level?: string): void };
  export = logger;
}

declare module 'node-media-server/src/core/avpacket.js' {
  class AVPacket {
    codec_id: number;
    codec_type: number;
    flags: number;
    pts: number;
    dts: number;
    size: number;
    data: Buffer;
  }
  export = AVPacket;
}

declare module 'node-media-server/src/session/rtmp_session.js' {
  import type { Socket } from 'node:net';
  import type AVPacket from 'node-media-server/src/core/avpacket.js';
  class RtmpSession {
    constructor(socket: Socket);
    id: string;
    ip: string;
    socket: Socket;
    isPublisher: boolean;
    streamApp: string;
    streamName: string;
    streamPath: string;
    streamQuery: Record<string, string | string[] | undefined>;
    createTime: number;
    inBytes: number;
    broadcast: { publisher: unknown; publishGraceMs: number; streamPath: string };
    run(): void;
    onConnect: (req: { app: string; name: string; host: string; query: Record<string, unknown> }) => void;
    onPush: () => void;
    onPlay: () => void;
    onPacket: (packet: AVPacket) => void;
    onData: (data: Buffer) => void;
    onClose: () => void;
    onError: (err: Error) => void;
    close: () => void;
  }
  export = RtmpSession;
}

declare module 'node-media-server/src/protocol/sps_info.js' {
  export function parseH264Sps(sps: Buffer): { width: number; height: number } | null;
}

declare module 'node-media-server/src/protocol/amf.js' {
  export function decodeAmf0Data(buf: Buffer): { cmd?: string; dataObj?: Record<string, unknown> | null; [k: string]: unknown };
}
