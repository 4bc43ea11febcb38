// `npm run release` builds and packs what the instances install (written to a temp dir here).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

t.test('npm run release packs dist, public, the lock file and the systemd units', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'spherecast-release-test-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = spawnSync('npm', ['run', 'release', '--', '--out', out], { cwd: ROOT, encoding: 'utf8' });
  t.equal(r.status, 0, `release exits 0\n${r.stderr}`);
  if (r.status !== 0) return;
  const tarball = join(out, `spherecast-${version}.tgz`);
  const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  t.equal(list.status, 0, list.stderr);
  const entries = new Set(list.stdout.split('\n').filter(Boolean));
  const top = `spherecast-${version}/`;
  for (const f of ['dist/origin.js', 'dist/edge.js', 'dist/transcoder.js', 'package.json', 'package-lock.json', 'deploy/systemd/spherecast-origin.service', 'deploy/systemd/spherecast-edge-deregister.service', 'deploy/instance/edge-deregister.sh']) {
    t.ok(entries.has(top + f), `contains ${f}`);
  }
  t.ok([...entries].some((e) => e.startsWith(`${top}public/`)), 'contains public/');
  t.notOk([...entries].some((e) => !e.startsWith(top)), 'one top-level folder (the instances strip it)');
  t.notOk([...entries].some((e) => e.includes('node_modules/') || e.startsWith(`${top}src/`) || e.startsWith(`${top}test/`)), 'no node_modules, src or tests');
  const pkg = spawnSync('tar', ['-xzOf', tarball, `${top}package.json`], { encoding: 'utf8' });
  t.equal(JSON.parse(pkg.stdout).version, version);
});

/** A copy of the project's packing inputs with a prepared dist/ (which programs it has is up to the test). */
function preparedTree(t: { teardown(fn: () => void): void }, programs: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'spherecast-release-tree-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['package.json', 'package-lock.json', 'scripts/release.mjs', 'deploy/systemd', 'deploy/instance']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  mkdirSync(join(dir, 'dist'));
  mkdirSync(join(dir, 'public'));
  writeFileSync(join(dir, 'public', 'index.html'), '<!doctype html>');
  for (const p of programs) writeFileSync(join(dir, 'dist', `${p}.js`), `console.log('${p}')`);
  return dir;
}

t.test('release packs the tree it is given (--skip-build) into one top-level folder', async (t) => {
  const dir = preparedTree(t, ['origin', 'edge', 'transcoder']);
  const r = spawnSync('node', ['scripts/release.mjs', '--skip-build'], { cwd: dir, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const list = spawnSync('tar', ['-tzf', join(dir, 'release', `spherecast-${version}.tgz`)], { encoding: 'utf8' });
  const entries = list.stdout.split('\n').filter(Boolean);
  const top = `spherecast-${version}/`;
  for (const f of ['dist/origin.js', 'dist/edge.js', 'dist/transcoder.js', 'public/index.html', 'package.json', 'package-lock.json', 'deploy/systemd/spherecast-edge.service', 'deploy/instance/run-loadtest.sh']) {
    t.ok(entries.includes(top + f), `contains ${f}`);
  }
  t.notOk(entries.some((e) => e.startsWith(`${top}scripts/`)), 'build scripts stay out');
  const mode = spawnSync('tar', ['-tvzf', join(dir, 'release', `spherecast-${version}.tgz`), `${top}deploy/instance/edge-deregister.sh`], { encoding: 'utf8' });
  t.match(mode.stdout, /^-rwx/, 'instance scripts stay executable');
  t.match(mode.stdout, / 0\/0 /, 'owned by root in the archive');
});

t.test('release refuses a dist/ that lacks a program', async (t) => {
  const dir = preparedTree(t, ['origin', 'edge']);
  const r = spawnSync('node', ['scripts/release.mjs', '--skip-build'], { cwd: dir, encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /release: dist\/ lacks transcoder\.js/);
});

t.test('npm run release refuses unknown arguments', async (t) => {
  const r = spawnSync('node', ['scripts/release.mjs', '--bogus'], { cwd: ROOT, encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /release: unknown argument --bogus/);
});
