import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { SpherecastError } from '../shared/errors';
import type { Logger } from '../shared/logger';

/** `/metrics` (Prometheus) and `/healthz` for a worker that has no other HTTP surface. */
export class MetricsServer {
  private server: Server | undefined;

  constructor(private readonly opts: { host: string; port: number; registry: Registry; log: Logger; healthy: () => boolean }) {}

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/metrics') {
        this.opts.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.opts.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
          () => res.writeHead(500).end(),
        );
      } else if (path === '/healthz') {
        const ok = this.opts.healthy();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(ok ? 'ok\n' : 'stopping\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new SpherecastError('SC_ERR_LISTEN', [`${this.opts.host}:${this.opts.port}`, err.message])));
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.opts.log.info({ host: this.opts.host, port }, 'metrics listening');
    return port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
