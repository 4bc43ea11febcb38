#!/usr/bin/env node
// Bundles each program's main.ts into dist/<program>.js (dependencies stay in node_modules).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const programs = ['origin', 'edge', 'transcoder', 'loadtest'].filter((p) => existsSync(`src/${p}/main.ts`));
await Promise.all(
  programs.map((p) =>
    build({
      entryPoints: [`src/${p}/main.ts`],
      outfile: `dist/${p}.js`,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      sourcemap: true,
      logLevel: 'warning',
    }),
  ),
);
if (existsSync('scripts/build-player.mjs')) await import('./build-player.mjs');
console.log(`built ${programs.map((p) => `dist/${p}.js`).join(', ')}`);
