import t from 'tap';
import { connect } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { freePort, startOrigin, waitFor } from './origin-harness';

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d) => {
      out += d;
      if (/\r\n\r\n/.test(out)) s.destroy();
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy());
  });
}

t.test('EGRESS=file:///path is the folder that URL names: /vod/ serves it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-egress-url-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'egress', 'talk'), { recursive: true });
  writeFileSync(join(dir, 'egress', 'talk', 'MANIFEST.M3U8'), '#EXTM3U\n#EXT-X-VERSION:3\n');
  const origin = await startOrigin(t, { EGRESS: pathToFileURL(join(dir, 'egress')).href, RECORD: 'off' });
  const index = await (await fetch(origin.url('/vod/index.json'))).json();
  t.same(index.assets, [{ name: 'talk', master: '/vod/talk/MANIFEST.M3U8' }]);
  t.equal((await fetch(origin.url('/vod/talk/MANIFEST.M3U8'))).status, 200);
});

t.test('EGRESS with a scheme nobody handles stops the start with a line naming it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-egress-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [resolve('dist/origin.js')], {
    env: { ...process.env, HOST: '127.0.0.1', RTMP_PORT: String(await freePort()), HTTP_PORT: String(await freePort()), MEDIA_DIR: dir, RECORD: 'off', EGRESS: 'ftp://host/egress' },
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const run = { status: await waitFor('the origin to exit', () => (child.exitCode !== null ? child.exitCode : undefined), 20_000), stderr };
  t.match(run.stderr, /EGRESS "ftp:\/\/host\/egress" has an unsupported scheme/);
});

t.test('/control takes the bearer token (scheme in any case) and nothing like it', async (t) => {
  const origin = await startOrigin(t, { CONTROL_TOKEN: 'c0ntrol-t0ken', RECORD: 'off' });
  const drop = (authorization?: string) =>
    fetch(origin.url('/control/drop/publisher?app=live&name=nobody'), { method: 'POST', headers: authorization ? { authorization } : {} }).then((r) => r.status);
  t.equal(await drop('Bearer c0ntrol-t0ken'), 404, 'authorized (there is no such stream)');
  t.equal(await drop('bearer c0ntrol-t0ken'), 404, 'the auth scheme is case-insensitive (RFC 9110 11.1)');
  t.equal(await drop('BEARER  c0ntrol-t0ken'), 404);
  t.equal(await drop('Bearer c0ntrol-t0keN'), 401, 'same length, one letter off');
  t.equal(await drop('Bearer c0ntrol-t0ke'), 401, 'a prefix');
  t.equal(await drop('Bearer c0ntrol-t0ken2'), 401, 'longer');
  t.equal(await drop('Basic c0ntrol-t0ken'), 401, 'another scheme');
  t.equal(await drop('Bearer'), 401);
  t.equal(await drop(), 401);
});

t.test('the origin answers duplicate or invalid Host headers with 400 (RFC 9112 3.2)', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off' });
  for (const path of ['/healthz', '/hls/x.m3u8', '/stat']) {
    t.match(await raw(origin.httpPort, `GET ${path} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`), /^HTTP\/1\.1 400/, `${path}: two Host lines`);
    t.match(await raw(origin.httpPort, `GET ${path} HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n`), /^HTTP\/1\.1 400/, `${path}: the same Host twice`);
    t.match(await raw(origin.httpPort, `GET ${path} HTTP/1.1\r\nHost: a b\r\n\r\n`), /^HTTP\/1\.1 400/, `${path}: invalid Host`);
  }
  t.match(await raw(origin.httpPort, 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 200/, 'one Host is fine');
});
