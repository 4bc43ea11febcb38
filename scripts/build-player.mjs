#!/usr/bin/env node
// Bundles the player (src/player, browser code, hls.js included) into public/build/ and copies A-Frame next to it,
// so public/ works as-is offline, behind the edge or CloudFront, and from an S3 website bucket: no CDN.
// Run by scripts/build.mjs; also runnable on its own.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}public/build`;
await mkdir(out, { recursive: true });
await Promise.all([
  build({
    entryPoints: { player: `${root}src/player/main.ts`, index: `${root}src/player/index-main.ts` },
    outdir: out,
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    format: 'iife',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  }),
  copyFile(`${root}node_modules/aframe/dist/aframe-v1.8.0.min.js`, `${out}/aframe-v1.8.0.min.js`),
]);
