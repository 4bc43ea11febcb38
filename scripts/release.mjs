#!/usr/bin/env node
// Builds and packs the release tarball the CloudFormation instances install:
//   release/spherecast-<version>.tgz  ->  spherecast-<version>/{dist,public,deploy/systemd,deploy/instance,package.json,package-lock.json}
// Production dependencies are not packed: instances run `npm ci --omit=dev` against package-lock.json,
// so native or platform-specific modules are built for the instance, not for this machine.
// Usage: npm run release [-- --out DIR] [-- --skip-build]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PROGRAMS = ['origin', 'edge', 'transcoder'];
const CONTENTS = ['dist', 'public', 'package.json', 'package-lock.json', 'deploy/systemd', 'deploy/instance'];

function fail(message) {
  console.error(`release: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { out: 'release', build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') {
      opts.out = argv[++i];
      if (!opts.out) fail('--out needs a directory');
    } else if (a.startsWith('--out=')) opts.out = a.slice('--out='.length);
    else if (a === '--skip-build') opts.build = false;
    else if (a === '--help' || a === '-h') {
      console.log('Usage: npm run release [-- --out DIR] [-- --skip-build]\nWrites DIR/spherecast-<version>.tgz (DIR defaults to release/).');
      process.exit(0);
    } else fail(`unknown argument ${a} (try --help)`);
  }
  return opts;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) fail(`${cmd} failed to start: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

const opts = parseArgs(process.argv.slice(2));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(pkg.version ?? '')) fail(`package.json version "${pkg.version}" is not semver`);

if (opts.build) run('npm', ['run', 'build']);

// A release that lacks a program would boot instances that restart forever: refuse it here instead.
const missing = PROGRAMS.filter((p) => !existsSync(join('dist', `${p}.js`)));
if (missing.length) fail(`dist/ lacks ${missing.map((p) => `${p}.js`).join(', ')} (is src/<program>/main.ts there and did the build pass?)`);
for (const c of CONTENTS) if (!existsSync(c)) fail(`${c} is missing`);

const name = `spherecast-${pkg.version}`;
const stage = mkdtempSync(join(tmpdir(), 'spherecast-release-'));
try {
  const root = join(stage, name);
  mkdirSync(root);
  for (const c of CONTENTS) cpSync(c, join(root, c), { recursive: true });
  const outDir = resolve(opts.out);
  mkdirSync(outDir, { recursive: true });
  const tarball = join(outDir, `${name}.tgz`);
  // Stable order and root ownership: the same tree packs the same way, and extraction never creates
  // files owned by this machine's user ids.
  run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', tarball, '-C', stage, name]);
  console.log(`release: wrote ${tarball}`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
