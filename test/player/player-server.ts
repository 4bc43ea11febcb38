// A small static server for player tests: public/ under a path prefix (the page must work from any prefix),
// test HLS under /media/, plus whatever routes a test adds (a fake /stat). Listens on 127.0.0.1, port 0.
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../..');
export const PUBLIC_DIR = join(REPO_ROOT, 'public');

/** Builds public/build/ when it is missing or older than the player source (tests may run without npm run build). */
export function ensurePlayerBuilt(): void {
  const bundle = join(PUBLIC_DIR, 'build', 'player.js');
  const srcDir = join(REPO_ROOT, 'src', 'player');
  const built = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
  const newest = Math.max(...readdirSync(srcDir).map((f) => statSync(join(srcDir, f)).mtimeMs));
  if (!built || newest > built || !existsSync(join(PUBLIC_DIR, 'build', 'index.js'))) {
    execFileSync(process.execPath, ['scripts/build-player.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
}

export interface PlayerServer {
  app: FastifyInstance;
  origin: string;
  /** Where public/ is served, ending in "/". */
  publicBase: string;
  /** Where the media folder is served, ending in "/". */
  mediaBase: string;
  close(): Promise<void>;
}

export async function startPlayerServer(opts: {
  mediaDir: string;
  publicPrefix?: string;
  routes?: (app: FastifyInstance) => void;
}): Promise<PlayerServer> {
  const prefix = opts.publicPrefix ?? '/site/player/';
  const app = Fastify({ logger: false });
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix, index: ['index.html'] });
  // Live playlists change every segment: never let the browser cache them.
  await app.register(fastifyStatic, {
    root: opts.mediaDir,
    prefix: '/media/',
    decorateReply: false,
    cacheControl: false,
    setHeaders: (reply, path) => {
      if (path.endsWith('.m3u8')) reply.header('cache-control', 'no-cache, no-store');
      reply.header('access-control-allow-origin', '*');
    },
  });
  opts.routes?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const origin = `http://127.0.0.1:${address.port}`;
  return { app, origin, publicBase: `${origin}${prefix}`, mediaBase: `${origin}/media/`, close: () => app.close() };
}
