// Shared pieces for the edge tests (not a test file itself): a counting upstream HTTP server,
// the edge as a real process or in-process, and raw-socket requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { Agent, request } from 'undici';
import { loadConfig } from '../../src/shared/config/config';
import type { Clock } from '../../src/shared/clock';
import { edgeSchema } from '../../src/edge/config';
import { EdgeServer } from '../../src/edge/edge-server';

type Tap = { teardown(fn: () => unknown): void };

export interface Route {
  status?: number;
  /** An array is sent as one field line per value. */
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Hold the answer this long (ms). */
  delayMs?: number;
  /** Never answer (a hung origin); the request stays open until the client gives up. */
  hang?: boolean;
}

export interface Upstream {
  url: string;
  port: number;
  routes: Map<string, Route>;
  /** Requests per raw target, in arrival order. */
  hits: Map<string, number>;
  seen: string[];
  /** Request headers of the last request. */
  lastHeaders: IncomingMessage['headers'];
  /** The edge's health probes (GET /healthz), kept out of `hits` and `seen`. */
  probes: number;
  count(target: string): number;
  /** Most requests for `target` the upstream held open at once. */
  maxOpen(target: string): number;
  total(): number;
  close(): Promise<void>;
}

/**
 * A small origin that answers from `routes` (404 otherwise) and counts every request it gets; the
 * edge's health probes (GET /healthz, unless a route says otherwise) get 200 and are counted apart.
 */
export async function startUpstream(t: Tap, routes: Record<string, Route> = {}, listenPort = 0): Promise<Upstream> {
  const up: Upstream = {
    url: '',
    port: 0,
    routes: new Map(Object.entries(routes)),
    hits: new Map(),
    seen: [],
    lastHeaders: {},
    probes: 0,
    count: (target) => up.hits.get(target) ?? 0,
    maxOpen: (target) => maxOpen.get(target) ?? 0,
    total: () => up.seen.length,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const open = new Map<string, number>();
  const maxOpen = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '';
    open.set(target, (open.get(target) ?? 0) + 1);
    maxOpen.set(target, Math.max(maxOpen.get(target) ?? 0, open.get(target)!));
    res.once('close', () => open.set(target, open.get(target)! - 1));
    if (target === '/healthz' && !up.routes.has(target)) {
      up.probes++;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    up.seen.push(target);
    up.hits.set(target, (up.hits.get(target) ?? 0) + 1);
    up.lastHeaders = req.headers;
    const route = up.routes.get(target);
    const send = () => {
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such object\n');
        return;
      }
      const etag = route.headers?.etag;
      if (etag !== undefined && req.headers['if-none-match'] === etag && (route.status ?? 200) === 200) {
        // Like any origin: a matching validator gets 304 with the object's headers and no body.
        const { 'content-length': _length, ...headers } = route.headers ?? {};
        res.writeHead(304, headers);
        res.end();
        return;
      }
      const body = route.body ?? '';
      res.writeHead(route.status ?? 200, { 'content-length': String(Buffer.byteLength(body)), ...route.headers });
      res.end(body);
    };
    if (route?.hang) return;
    if (route?.delayMs) setTimeout(send, route.delayMs);
    else send();
  });
  await new Promise<void>((r) => server.listen(listenPort, '127.0.0.1', () => r()));
  up.port = (server.address() as AddressInfo).port;
  up.url = `http://127.0.0.1:${up.port}`;
  let closed = false;
  const close = up.close;
  up.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  t.teardown(() => up.close());
  return up;
}

/** A port nothing listens on (bound, read back, released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function tempDir(t: Tap, prefix = 'sc-edge-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const BASE_ENV = {
  HOST: '127.0.0.1',
  HTTP_PORT: '0',
  SPOT_MONITOR: 'off',
  DRAIN_DELAY: '0',
  LOG_LEVEL: 'warn',
};

export interface EdgeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `node dist/edge.js` with the given settings; resolves once it listens. */
export async function startEdgeProcess(t: Tap, env: Record<string, string>): Promise<EdgeProcess> {
  const script = resolve('dist/edge.js');
  if (!existsSync(script)) throw new Error('dist/edge.js is missing: run `npm run build` first');
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', PUBLIC_DIR: 'none', ...BASE_ENV, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`edge did not start:\n${out}`)), 45_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"port":(\d+)[^\n]*"msg":"listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`edge exited with ${code} before listening:\n${out}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, port, child, output: () => out, exited };
}

/** The edge in this process, for tests that drive time with a ManualClock. */
export async function startEdgeInProcess(t: Tap, env: Record<string, string>, clock: Clock): Promise<{ edge: EdgeServer; url: string }> {
  const config = loadConfig(edgeSchema, { env: { PUBLIC_DIR: 'none', ...BASE_ENV, ...env } });
  const edge = new EdgeServer({ config, log: pino({ level: 'silent' }), clock });
  const port = await edge.start();
  t.teardown(() => edge.close('test over'));
  return { edge, url: `http://127.0.0.1:${port}` };
}

export interface Fetched {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** One request per call on its own agent, so no connection outlives the test. */
export function client(t: Tap): (url: string, opts?: { method?: 'GET' | 'HEAD'; headers?: Record<string, string> }) => Promise<Fetched> {
  const agent = new Agent({ connections: 1024, pipelining: 0 });
  t.teardown(() => agent.close());
  return async (url, opts = {}) => {
    const res = await request(url, { method: opts.method ?? 'GET', headers: opts.headers, dispatcher: agent });
    const body = Buffer.from(await res.body.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    return { status: res.statusCode, headers, body };
  };
}

/** Writes `raw` on a fresh socket and returns whatever comes back until the server closes or goes quiet. */
export function rawRequest(port: number, raw: string): Promise<string> {
  return new Promise((resolveText, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = () => {
      socket.destroy();
      resolveText(text);
    };
    socket.setTimeout(2000, done);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      // One complete answer is enough.
      const head = text.indexOf('\r\n\r\n');
      if (head >= 0) {
        const len = /content-length:\s*(\d+)/i.exec(text.slice(0, head));
        if (len && text.length >= head + 4 + Number(len[1])) done();
      }
    });
    socket.on('end', done);
    socket.on('error', (err) => (text ? done() : reject(err)));
    socket.write(raw);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
