import { HttpConnection, type HttpAnswer } from './http-connection';

/**
 * The virtual viewers' connections, per origin (scheme, host and port): with `connections` 0 each viewer
 * has its own, like one browser each; otherwise viewer i uses connection i mod `connections`, and
 * requests on a shared connection take turns.
 */
export interface ConnectionPoolOptions {
  /** 0 = one per viewer. */
  connections: number;
  /** Request headers (lower-case names) besides Host. */
  headers: Record<string, string>;
  timeoutMs: number;
}

interface Origin {
  headerLines: string;
  endpoint: { host: string; port: number; tls: boolean };
  connections: Map<number, HttpConnection>;
}

// What may stand in a request target as written on the wire (URLs built by the viewers are already encoded).
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;

function badUrl(url: string): Error {
  return Object.assign(new Error(`not an http(s) URL that can be requested: ${url.slice(0, 200)}`), { code: 'ERR_INVALID_URL' });
}

export class ConnectionPool {
  private readonly origins = new Map<string, Origin>();
  private readonly fixedHeaders: string;
  private closed = false;

  constructor(private readonly o: ConnectionPoolOptions) {
    let lines = '';
    for (const [name, value] of Object.entries(o.headers)) lines += `${name}: ${value}\r\n`;
    this.fixedHeaders = lines;
  }

  /** GETs an absolute http(s) URL on the viewer's connection to its origin. */
  get(viewer: number, url: string, keepBody: boolean): Promise<HttpAnswer> {
    // scheme://authority is everything before the first '/' after '://'.
    const slash = url.indexOf('/', url.indexOf('://') + 3);
    const originKey = slash < 0 ? url : url.slice(0, slash);
    let path = slash < 0 ? '/' : url.slice(slash);
    const hash = path.indexOf('#');
    if (hash >= 0) path = path.slice(0, hash);
    const origin = this.origins.get(originKey) ?? this.addOrigin(originKey);
    if (origin === undefined || !REQUEST_TARGET.test(path)) return Promise.reject(badUrl(url));
    const slot = this.o.connections > 0 ? viewer % this.o.connections : viewer;
    let c = origin.connections.get(slot);
    if (c === undefined) {
      if (this.closed) return Promise.reject(Object.assign(new Error('pool closed'), { code: 'ECONNABORTED' }));
      c = new HttpConnection(origin.endpoint, origin.headerLines, this.o.timeoutMs);
      origin.connections.set(slot, c);
    }
    return c.get(path, keepBody);
  }

  /** Ends every connection; requests in flight fail. */
  destroy(): void {
    this.closed = true;
    for (const origin of this.origins.values()) for (const c of origin.connections.values()) c.destroy();
  }

  private addOrigin(key: string): Origin | undefined {
    let u: URL;
    try {
      u = new URL(key);
    } catch {
      return undefined;
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password) return undefined;
    const tls = u.protocol === 'https:';
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    const origin: Origin = {
      headerLines: `host: ${u.host}\r\n${this.fixedHeaders}\r\n`,
      endpoint: { host, port: Number(u.port || (tls ? 443 : 80)), tls },
      connections: new Map(),
    };
    this.origins.set(key, origin);
    return origin;
  }
}
